#include "engine/server/engine_service.h"

#include <boost/asio/this_coro.hpp>
#include <chrono>

#include "common/clock.h"
#include "common/error.h"
#include "common/json.h"
#include "engine/server/chat_inputs.h"
#include "engine/server/event_channel.h"
#include "engine/server/job.h"
#include "engine/server/openai_params.h"
#include "engine/server/response_shape.h"

namespace hydra::engine {

namespace asio = boost::asio;
namespace bj = boost::json;

namespace {

constexpr const char* kRunning = "hydra_engine:num_requests_running";
constexpr const char* kWaiting = "hydra_engine:num_requests_waiting";
constexpr const char* kPromptTokens = "hydra_engine:prompt_tokens_total";
constexpr const char* kGenerationTokens = "hydra_engine:generation_tokens_total";
constexpr const char* kSuccess = "hydra_engine:request_success_total";
constexpr const char* kTtft = "hydra_engine:time_to_first_token_seconds";
constexpr const char* kItl = "hydra_engine:inter_token_latency_seconds";
constexpr const char* kKvUsage = "hydra_engine:kv_cache_usage_perc";
constexpr const char* kPrefixQueries = "hydra_engine:prefix_cache_queries_total";
constexpr const char* kPrefixHits = "hydra_engine:prefix_cache_hits_total";
constexpr const char* kCancelled = "hydra_engine:request_cancelled_total";

// How long a request waits for tokens before looking whether its client is
// still there (a queued request or a long prefill sends nothing meanwhile).
constexpr std::chrono::milliseconds kClientCheck{100};

std::string sse(const bj::object& chunk) {
  return "data: " + bj::serialize(chunk) + "\n\n";
}

}  // namespace

EngineService::EngineService(std::unique_ptr<LoadedModel> model, EngineServiceOptions options,
                             std::shared_ptr<http::Metrics> metrics)
    : model_(std::move(model)),
      options_(std::move(options)),
      metrics_(std::move(metrics)),
      created_(now_ms() / 1000) {
  const http::Labels labels{{"model_name", options_.served_model_name}};
  metrics_->describe(kRunning, "gauge", "Requests in the decode batch");
  metrics_->describe(kWaiting, "gauge", "Requests waiting to join the batch");
  metrics_->describe(kPromptTokens, "counter", "Prompt tokens of finished requests");
  metrics_->describe(kGenerationTokens, "counter", "Generated tokens of finished requests");
  metrics_->describe(kSuccess, "counter", "Finished requests by finish reason");
  metrics_->describe(kCancelled, "counter", "Requests stopped because their client went away");
  metrics_->describe_histogram(
      kTtft, "Time from request arrival to the first generated token",
      {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0});
  metrics_->describe_histogram(
      kItl, "Time between two generated tokens of a request",
      {0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0});
  metrics_->describe(kKvUsage, "gauge", "Fraction of KV-cache blocks held by running sequences");
  metrics_->describe(kPrefixQueries, "counter", "Prompt blocks looked up in the prefix cache");
  metrics_->describe(kPrefixHits, "counter", "Prompt blocks found in the prefix cache");
  metrics_->gauge_set(kKvUsage, labels, 0);
  metrics_->counter_add(kPrefixQueries, labels, 0);
  metrics_->counter_add(kPrefixHits, labels, 0);
  metrics_->gauge_set(kRunning, labels, 0);
  metrics_->gauge_set(kWaiting, labels, 0);
  metrics_->counter_add(kPromptTokens, labels, 0);
  metrics_->counter_add(kGenerationTokens, labels, 0);
  metrics_->counter_add(kCancelled, labels, 0);
  if (!model_->model->is_encoder()) {
    RuntimeOptions ro = options_.runtime;
    std::shared_ptr<http::Metrics> m = metrics_;
    ro.on_load = [m, labels](int64_t running, int64_t waiting) {
      m->gauge_set(kRunning, labels, static_cast<double>(running));
      m->gauge_set(kWaiting, labels, static_cast<double>(waiting));
    };
    // Cumulative counts from the runtime become counter increments here
    // (on_step runs on the decode thread only).
    auto seen = std::make_shared<std::pair<int64_t, int64_t>>(0, 0);
    ro.on_step = [m, labels, seen](const RuntimeStats& s) {
      if (s.kv_blocks_total > 0) {
        m->gauge_set(
            kKvUsage, labels,
            static_cast<double>(s.kv_blocks_used) / static_cast<double>(s.kv_blocks_total));
      }
      if (s.prefix_queries > seen->first) {
        m->counter_add(kPrefixQueries, labels, static_cast<double>(s.prefix_queries - seen->first));
      }
      if (s.prefix_hits > seen->second) {
        m->counter_add(kPrefixHits, labels, static_cast<double>(s.prefix_hits - seen->second));
      }
      *seen = {s.prefix_queries, s.prefix_hits};
    };
    runtime_ = std::make_unique<Runtime>(*model_, std::move(ro));
  }
}

EngineService::~EngineService() = default;

void EngineService::add_routes(http::Router& r) {
  r.add_async(
      "POST", "/v1/chat/completions",
      [this](http::Request& req, http::ResponseWriter& w) { return chat(req, w); },
      "OpenAI chat completion (stream or not)");
  r.add_async(
      "POST", "/v1/completions",
      [this](http::Request& req, http::ResponseWriter& w) { return completion(req, w); },
      "OpenAI text completion (stream or not)");
  r.add(
      "POST", "/v1/embeddings", [this](http::Request& req) { return embeddings(req); },
      "Embeddings of an encoder model");
  r.add(
      "GET", "/v1/models", [this](http::Request&) { return models(); }, "The served model");
  r.add(
      "POST", "/tokenize", [this](http::Request& req) { return tokenize(req); },
      "Token ids of a prompt or of rendered chat messages");
  r.add(
      "POST", "/detokenize", [this](http::Request& req) { return detokenize(req); },
      "Text of token ids");
  r.add(
      "POST", "/apply-template", [this](http::Request& req) { return apply_template(req); },
      "The prompt the chat template renders for messages and tools");
}

asio::awaitable<void> EngineService::chat(http::Request& req, http::ResponseWriter& w) {
  std::string body = req.body;
  std::function<std::shared_ptr<Job>()> fn = [this, body] { return prepare_chat(body); };
  std::shared_ptr<Job> job =
      co_await http::run_blocking<std::shared_ptr<Job>>(w.worker_executor(), std::move(fn));
  co_await generate(job, w);
}

asio::awaitable<void> EngineService::completion(http::Request& req, http::ResponseWriter& w) {
  std::string body = req.body;
  std::function<std::shared_ptr<Job>()> fn = [this, body] { return prepare_completion(body); };
  std::shared_ptr<Job> job =
      co_await http::run_blocking<std::shared_ptr<Job>>(w.worker_executor(), std::move(fn));
  co_await generate(job, w);
}

void EngineService::note_event(Job& job, const TokenEvent& ev) {
  const auto now = std::chrono::steady_clock::now();
  if (!job.first_seen && (ev.token >= 0 || ev.finished)) {
    job.first_seen = true;
    job.last_token = now;
    const std::chrono::duration<double> d = now - job.start;
    metrics_->observe(kTtft, {{"model_name", name()}}, d.count());
  } else if (ev.token >= 0) {
    const std::chrono::duration<double> d = now - job.last_token;
    job.last_token = now;
    metrics_->observe(kItl, {{"model_name", name()}}, d.count());
  }
  if (ev.finish_reason == "error" && job.error.empty()) job.error = ev.error;
}

void EngineService::record_finished(const Job& job) {
  const http::Labels labels{{"model_name", name()}};
  metrics_->counter_add(kPromptTokens, labels, static_cast<double>(job.request.prompt.size()));
  metrics_->counter_add(kGenerationTokens, labels,
                        static_cast<double>(job.shape->completion_tokens()));
  for (const ChoiceState& c : job.shape->choices()) {
    metrics_->counter_add(kSuccess, {{"model_name", name()}, {"finished_reason", c.finish_reason}});
  }
}

void EngineService::abandon(Job& job) {
  job.handle.reset();  // the sequences leave the batch at the next step
  metrics_->counter_add(kCancelled, {{"model_name", name()}}, 1);
}

asio::awaitable<void> EngineService::generate(std::shared_ptr<Job> job, http::ResponseWriter& w) {
  asio::any_io_executor executor = co_await asio::this_coro::executor;
  auto channel = std::make_shared<EventChannel>(executor);
  job->handle = runtime_->submit(job->request, channel);
  if (job->stream.stream) {
    const bool ok = co_await stream_events(job, channel, w);
    if (!ok) abandon(*job);
    co_return;
  }
  int finished = 0;
  while (finished < job->request.params.n) {
    std::vector<TokenEvent> events = co_await channel->next_within(kClientCheck);
    if (w.peer_closed()) {
      abandon(*job);
      // Nobody reads it; the status marks the request in the access log.
      http::Response gone = http::Response::json(
          499, error_body(ErrorCode::kParamError, "the client closed the connection"));
      co_await w.send(std::move(gone));
      co_return;
    }
    for (const TokenEvent& ev : events) {
      note_event(*job, ev);
      job->shape->on_event(ev);
      finished += ev.finished ? 1 : 0;
    }
  }
  record_finished(*job);
  if (!job->error.empty()) throw ApiError(ErrorCode::kInvokeModelError, job->error);
  http::Response resp = http::Response::json(200, job->shape->final_body(usage_of(*job)));
  co_await w.send(std::move(resp));
}

Usage EngineService::usage_of(const Job& job) const {
  return Usage{static_cast<int64_t>(job.request.prompt.size()), job.shape->completion_tokens()};
}

// The usage field of each chunk: absent without include_usage, null until
// the last chunk, or with continuous_usage_stats the usage so far.
void EngineService::set_chunk_usage(const Job& job, bj::object& chunk) const {
  if (!job.stream.include_usage) return;
  if (job.stream.continuous_usage) {
    chunk["usage"] = usage_of(job).to_json();
  } else {
    chunk["usage"] = nullptr;
  }
}

asio::awaitable<bool> EngineService::stream_events(std::shared_ptr<Job> job,
                                                   std::shared_ptr<EventChannel> channel,
                                                   http::ResponseWriter& w) {
  http::Headers headers;
  headers.emplace_back("content-type", "text/event-stream");
  headers.emplace_back("cache-control", "no-cache");
  bool ok = co_await w.begin(200, std::move(headers));
  if (!ok) co_return false;
  std::vector<bj::object> start = job->shape->stream_start();
  for (bj::object& chunk : start) {
    set_chunk_usage(*job, chunk);
    const std::string data = sse(chunk);
    ok = co_await w.write(data);
    if (!ok) co_return false;
  }
  int finished = 0;
  while (finished < job->request.params.n) {
    std::vector<TokenEvent> events = co_await channel->next_within(kClientCheck);
    if (w.peer_closed()) co_return false;
    for (const TokenEvent& ev : events) {
      note_event(*job, ev);
      finished += ev.finished ? 1 : 0;
      std::vector<bj::object> chunks = job->shape->on_event(ev);
      for (bj::object& chunk : chunks) {
        set_chunk_usage(*job, chunk);
        const std::string data = sse(chunk);
        ok = co_await w.write(data);
        if (!ok) co_return false;
      }
    }
  }
  record_finished(*job);
  if (job->stream.include_usage) {
    const std::string data = sse(job->shape->usage_chunk(usage_of(*job)));
    ok = co_await w.write(data);
    if (!ok) co_return false;
  }
  ok = co_await w.write("data: [DONE]\n\n");
  if (!ok) co_return false;
  co_await w.end();
  co_return true;
}

}  // namespace hydra::engine
