#include "gateway/gateway.h"

#include <boost/json.hpp>
#include <cctype>
#include <optional>

#include "auth/auth_epoch.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"
#include "common/random.h"
#include "common/strings.h"
#include "gateway/sse.h"
#include "gateway/stream_drain.h"
#include "gateway/stream_meter.h"
#include "gateway/usage_scan.h"
#include "http/stream.h"
#include "metering/pricing.h"
#include "moderation/request_text.h"

namespace hydra::gateway {

namespace bj = boost::json;

// What one inference request accumulates on its way, for metering.
struct Gateway::Call {
  UsageRecord rec;
  int64_t start_ns = 0;
  bool authenticated = false;
  bool route_found = false;
  bool stream = false;
  bool inject_usage = false;  // the gateway asked for usage; the client did not
  int64_t first_event_ns = 0;
  StreamAsk client_ask;      // the usage the client itself asked for on a stream
  StreamMeter meter;         // usage counted from the stream's events
  limits::Admission limits;  // counters and quotas this request drew from
  std::string refused_by;    // the moderation rule that stopped a streamed answer
};

namespace {

constexpr size_t kMaxModelName = 256;

std::string upstream_url(std::string_view base_url, const std::string& path) {
  while (!base_url.empty() && base_url.back() == '/') base_url.remove_suffix(1);
  std::string url;
  url.reserve(base_url.size() + path.size());
  url += base_url;
  url += path;
  return url;
}

// The key of "Authorization: Bearer <key>", blanks around it dropped; empty
// when there is none. A view into the header: a cached key costs no copy.
std::string_view bearer_token(const std::string* header) {
  if (!header || header->size() <= 7 ||
      !iequals(std::string_view(*header).substr(0, 7), "bearer ")) {
    return {};
  }
  std::string_view t = std::string_view(*header).substr(7);
  auto blank = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!t.empty() && blank(t.front())) t.remove_prefix(1);
  while (!t.empty() && blank(t.back())) t.remove_suffix(1);
  return t;
}

bool is_event_stream(const UpstreamExchange& ex) {
  const std::string* ct = ex.header("content-type");
  return ct && to_lower(*ct).find("text/event-stream") != std::string::npos;
}

ApiError error_for(const UpstreamError& e, const std::string& model) {
  if (e.kind() == UpstreamFailure::kTimeout) {
    return ApiError(ErrorCode::kUpstreamTimeout,
                    "the upstream of " + model + " did not answer in time");
  }
  return ApiError(ErrorCode::kInvokeModelError,
                  "the upstream of " + model + " failed: " + e.what());
}

// Request and answer documents are parsed into a buffer that lives as long
// as the request, instead of one heap allocation per member and string.
constexpr size_t kParseBuffer = 4096;

// The client's body, with `model` required and `stream` checked.
bj::object parse_body(const std::string& text, bj::storage_ptr storage) {
  bj::error_code ec;
  bj::value v = bj::parse(text, ec, std::move(storage));
  if (ec || !v.is_object()) throw_param("the request body must be a JSON object");
  bj::object& o = v.as_object();
  const bj::value* m = o.if_contains("model");
  if (!m || !m->is_string() || m->get_string().empty()) {
    throw_param("you must provide a model parameter", "model");
  }
  if (m->get_string().size() > kMaxModelName) throw_param("model name is too long", "model");
  const bj::value* s = o.if_contains("stream");
  if (s && !s->is_bool() && !s->is_null()) throw_param("stream must be a boolean", "stream");
  return std::move(o);
}

// The request's API key; refused when there is none.
std::string_view require_token(const http::Request& req) {
  std::string_view token = bearer_token(req.header("authorization"));
  if (token.empty()) {
    throw ApiError(ErrorCode::kIncorrectApiKey,
                   "You didn't provide an API key. Send it as 'Authorization: Bearer sk-...'.");
  }
  return token;
}

// A stream's record holds what its events reported (stream_meter.h).
void take_stream_usage(const StreamMeter& m, UsageRecord& rec) {
  if (!m.saw_usage() && m.text_events() == 0) return;
  rec.prompt_tokens = m.prompt_tokens();
  rec.completion_tokens = m.completion_tokens();
  rec.cached_tokens = m.cached_tokens();
}

}  // namespace

Gateway::Gateway(store::Store& st, const Config& cfg, http::Metrics& metrics, GatewayOptions opts)
    : store_(st),
      metrics_(metrics),
      opts_(opts),
      routes_(st, cfg),
      prober_(routes_, metrics, opts.probes),
      upstream_(opts.upstream),
      usage_(st, metrics, opts.usage),
      limits_(st, metrics, limits::AdmitterOptions{cfg.limits_redis_url, cfg.limits_poll_ms}),
      moderation_(st, opts.moderation),
      route_metrics_(metrics) {
  metrics_.describe("hydra_gateway_upstream_failures_total", "counter",
                    "Failed tries on an upstream endpoint");
}

Gateway::~Gateway() {
  stop();
}

void Gateway::start() {
  routes_.refresh();
  routes_.start_polling(opts_.route_poll_ms);
  prober_.start();
  limits_.start();
  moderation_.start();
  try {
    usage_.prices().reload();
  } catch (const std::exception& e) {
    spdlog::warn("gateway: prices not loaded yet: {}", e.what());
  }
}

void Gateway::stop() {
  prober_.stop();
  routes_.stop();
  limits_.stop();
  moderation_.stop();
  usage_.stop();
  upstream_.close_idle();
}

void Gateway::register_routes(http::Router& router) {
  struct Path {
    const char* client;
    const char* upstream;
    const char* summary;
  };
  static const Path kPaths[] = {
      {"/v1/chat/completions", "/chat/completions", "Chat completion (OpenAI-compatible)"},
      {"/v1/completions", "/completions", "Text completion (OpenAI-compatible)"},
      {"/v1/embeddings", "/embeddings", "Embeddings (OpenAI-compatible)"},
      {"/v1/images/generations", "/images/generations", "Image generation (OpenAI-compatible)"},
      {"/v1/rerank", "/rerank", "Rerank documents against a query (Cohere/Jina-compatible)"},
  };
  for (const auto& p : kPaths) {
    std::string upstream_path = p.upstream;
    router.add_async(
        "POST", p.client,
        [this, upstream_path](http::Request& req, http::ResponseWriter& w) {
          return serve_inference(req, w, upstream_path);
        },
        p.summary);
  }
  router.add_async(
      "GET", "/v1/models",
      [this](http::Request& req, http::ResponseWriter& w) { return serve_models(req, w); },
      "Models the API key may use (OpenAI-compatible)");
}

std::shared_ptr<const auth::VerifiedKey> Gateway::cached_key(const http::Request& req) {
  return keys_.find(require_token(req), auth::auth_epoch());
}

asio::awaitable<std::shared_ptr<const auth::VerifiedKey>> Gateway::authenticate(
    http::Request& req, http::ResponseWriter& w) {
  std::string_view token = require_token(req);
  uint64_t epoch = auth::auth_epoch();  // read before the query, see key_cache.h
  std::shared_ptr<const auth::VerifiedKey> cached = keys_.find(token, epoch);
  if (cached) co_return cached;
  store::Store* st = &store_;
  std::function<std::optional<auth::VerifiedKey>()> check = [st, token = std::string(token)] {
    return auth::verify_key(*st, token);
  };
  std::optional<auth::VerifiedKey> found =
      co_await http::run_blocking<std::optional<auth::VerifiedKey>>(w.worker_executor(),
                                                                    std::move(check));
  if (!found) throw ApiError(ErrorCode::kIncorrectApiKey, "Incorrect API key provided.");
  auto verified = std::make_shared<const auth::VerifiedKey>(std::move(*found));
  keys_.put(token, epoch, verified);
  co_return verified;
}

asio::awaitable<void> Gateway::serve_models(http::Request& req, http::ResponseWriter& w) {
  std::shared_ptr<const auth::VerifiedKey> key = co_await authenticate(req, w);
  auto routes = routes_.snapshot();
  bj::array data;
  for (const auto& [name, route] : *routes) {
    if (!key->key.allows(name)) continue;
    if (!route.workspace_id.empty() && route.workspace_id != key->key.workspace_id) continue;
    data.push_back(bj::object{{"id", name},
                              {"object", "model"},
                              {"created", route.created_at / 1000},
                              {"owned_by", "hydra"}});
  }
  bj::object body{{"object", "list"}, {"data", std::move(data)}};
  http::Response resp = http::Response::json(200, body);
  co_await w.send(std::move(resp));
}

asio::awaitable<void> Gateway::serve_inference(http::Request& req, http::ResponseWriter& w,
                                               const std::string& path) {
  Call call;
  call.start_ns = mono_ns();
  call.rec.time = now_ms();
  call.rec.id = new_id(call.rec.time);
  call.rec.request_id = req.request_id;
  std::exception_ptr failure;
  try {
    co_await proxy(req, w, path, call);
  } catch (const ApiError& e) {
    call.rec.status = e.http_status();
    call.rec.error_code = static_cast<int64_t>(e.code());
    failure = std::current_exception();
  } catch (const std::exception&) {
    call.rec.status = 500;
    call.rec.error_code = static_cast<int64_t>(ErrorCode::kSystemError);
    failure = std::current_exception();
  }
  finish(call);
  if (failure) std::rethrow_exception(failure);
}

asio::awaitable<void> Gateway::proxy(http::Request& req, http::ResponseWriter& w,
                                     const std::string& path, Call& call) {
  // A key verified before needs no coroutine of its own.
  std::shared_ptr<const auth::VerifiedKey> key = cached_key(req);
  if (!key) key = co_await authenticate(req, w);
  call.authenticated = true;
  call.rec.workspace_id = key->key.workspace_id;
  call.rec.user_id = key->key.user_id;
  call.rec.key_id = key->key.id;

  unsigned char parse_buffer[kParseBuffer];
  bj::monotonic_resource parse_memory(parse_buffer, sizeof parse_buffer);
  bj::object body = parse_body(req.body, &parse_memory);
  std::string model(body["model"].get_string());
  call.rec.model = model;
  auto routes = routes_.snapshot();  // held for the whole request
  auto it = routes->find(model);
  // A deployment belongs to one workspace: other keys see no such model.
  if (it != routes->end() && !it->second.workspace_id.empty() &&
      it->second.workspace_id != key->key.workspace_id) {
    it = routes->end();
  }
  if (it == routes->end()) {
    throw ApiError(ErrorCode::kModelNotFound,
                   "The model '" + model + "' does not exist or you do not have access to it.",
                   "model");
  }
  if (!key->key.allows(model)) {
    throw ApiError(ErrorCode::kModelNotAllowed,
                   "This API key may not use the model '" + model + "'.", "model");
  }
  call.route_found = true;
  const Route& route = it->second;
  const bj::value* stream_flag = body.if_contains("stream");
  call.stream = stream_flag && stream_flag->is_bool() && stream_flag->get_bool();
  call.rec.stream = call.stream;
  if (call.stream) {
    call.client_ask = client_stream_ask(body);
    call.inject_usage = !call.client_ask.include_usage;
    call.meter = StreamMeter(call.client_ask);
  }

  // Moderation, then limits and quotas, before any upstream work (DESIGN.md
  // §4 "admit"): refused input draws from no limit.
  moderation_.check_input(body, call.rec.workspace_id);
  limits::Subject who{call.rec.workspace_id, call.rec.key_id, call.rec.user_id, call.rec.model};
  limits::Estimate need = limits::estimate_request(body, path);
  std::optional<http::Response> refusal = co_await limits_.admit(call.limits, who, need);
  if (refusal) {
    call.rec.status = refusal->status;
    call.rec.error_code = call.limits.refusal_code();
    co_await w.send(std::move(*refusal));
    co_return;
  }

  std::vector<int> tried;
  std::optional<http::Response> last_answer;
  std::string last_error;
  int attempts = std::min<int>(opts_.max_attempts, static_cast<int>(route.endpoints.size()));
  for (int attempt = 0; attempt < attempts; ++attempt) {
    int idx = pick_endpoint(route, tried, now_ms());
    if (idx < 0) break;
    tried.push_back(idx);
    const Endpoint& ep = route.endpoints[static_cast<size_t>(idx)];
    OutstandingGuard guard(*ep.health);
    body["model"] = ep.model;
    if (call.stream) ask_stream_usage(body, call.client_ask, ep.continuous_usage);
    UpstreamRequest ur;
    ur.url = upstream_url(ep.base_url, path);
    ur.headers.reserve(4);
    ur.headers.emplace_back("content-type", "application/json");
    ur.headers.emplace_back("accept", call.stream ? "text/event-stream" : "application/json");
    if (!ep.api_key.empty()) ur.headers.emplace_back("authorization", "Bearer " + ep.api_key);
    ur.headers.emplace_back("x-request-id", req.request_id);  // one id across both hops' logs
    ur.body = bj::serialize(body);
    auto ex = upstream_.exchange();
    std::optional<UpstreamError> failed;
    try {
      co_await ex->start(std::move(ur));
    } catch (const UpstreamError& e) {
      failed = e;
    }
    if (failed) {
      note_upstream_failure(ep);
      UpstreamFailure kind = failed->kind();
      if (kind == UpstreamFailure::kConnect || kind == UpstreamFailure::kBusy ||
          kind == UpstreamFailure::kNoAnswer) {
        last_error = failed->what();
        continue;  // nothing reached the upstream: another endpoint may answer
      }
      call.rec.upstream = ep.base_url;
      throw error_for(*failed, model);
    }
    call.rec.upstream = ep.base_url;
    int status = ex->status();
    if (status == 502 || status == 503) {
      note_upstream_failure(ep);
      http::Response answer;
      answer.status = status;
      try {
        answer.body = co_await ex->read_all();
      } catch (const UpstreamError&) {
      }
      const std::string* ct = ex->header("content-type");
      answer.set_header("Content-Type", ct ? *ct : "application/json");
      last_answer = std::move(answer);
      continue;  // the upstream refused before doing work: retry elsewhere
    }
    if (status >= 500) {
      note_upstream_failure(ep);
    } else {
      note_success(*ep.health);
    }
    if (call.stream && status == 200 && is_event_stream(*ex)) {
      co_await relay_stream(*ex, w, call, ep);
    } else {
      co_await relay_whole(*ex, w, call);
    }
    co_return;
  }
  if (last_answer) {
    call.rec.status = last_answer->status;
    call.rec.error_code = static_cast<int64_t>(ErrorCode::kInvokeModelError);
    co_await w.send(std::move(*last_answer));
    co_return;
  }
  std::string why = last_error.empty() ? "every endpoint is ejected after failures" : last_error;
  throw ApiError(ErrorCode::kNoHealthyUpstream,
                 "No healthy upstream for model '" + model + "': " + why);
}

asio::awaitable<void> Gateway::relay_whole(UpstreamExchange& ex, http::ResponseWriter& w,
                                           Call& call) {
  std::string body;
  std::optional<UpstreamError> failed;
  try {
    body = co_await ex.read_all();
  } catch (const UpstreamError& e) {
    failed = e;
  }
  if (failed) throw error_for(*failed, call.rec.model);
  ex.release();
  int status = ex.status();
  if (status == 200) {
    AnswerUsage u = scan_usage(body);
    if (u.found) {
      call.rec.prompt_tokens = u.prompt_tokens;
      call.rec.completion_tokens = u.completion_tokens;
      call.rec.cached_tokens = u.cached_tokens;
    }
    // Billed all the same: the upstream generated it.
    moderation_.check_answer(body, call.rec.workspace_id);
  } else if (status >= 400) {
    call.rec.error_code = static_cast<int64_t>(ErrorCode::kInvokeModelError);
  }
  http::Response resp;
  resp.status = status;
  const std::string* ct = ex.header("content-type");
  resp.set_header("Content-Type", ct ? *ct : "application/json");
  call.limits.add_headers(resp.headers);
  resp.body = std::move(body);
  call.rec.status = status;
  bool sent = co_await w.send(std::move(resp));
  if (!sent) call.rec.status = 499;
}

asio::awaitable<void> Gateway::relay_stream(UpstreamExchange& ex, http::ResponseWriter& w,
                                            Call& call, const Endpoint& ep) {
  http::Headers head;
  head.emplace_back("content-type", "text/event-stream");
  head.emplace_back("cache-control", "no-cache");
  call.limits.add_headers(head);
  call.rec.status = 200;
  bool open = co_await w.begin(200, std::move(head));
  SseSplitter splitter;
  std::vector<std::string> events;
  std::optional<UpstreamError> failed;
  moderation::OutputScanner scanner = moderation_.scanner(call.rec.workspace_id);
  bool refused = false;
  while (open && !refused && !ex.done()) {
    std::string piece;
    try {
      piece = co_await ex.read_some();
    } catch (const UpstreamError& e) {
      failed = e;
      break;
    }
    events.clear();
    splitter.feed(piece, events);
    for (const auto& ev : events) {
      // Every event is metered, also those after the client left.
      std::string out = call.meter.pass(ev);
      if (out.empty() || !open || refused) continue;
      if (scanner.active() && refuses_event(out, scanner, call)) {
        refused = true;
        continue;
      }
      if (call.first_event_ns == 0) call.first_event_ns = mono_ns();
      open = co_await w.write(out);
    }
  }
  if (refused && open) {
    // The answer broke an output rule: the client gets the error event
    // instead of the rest, and the upstream stops as for a client that left.
    if (ep.continuous_usage) {
      co_await drain_aborted_stream(&ex, &splitter, &call.meter, kAbortDrainMs);
    } else {
      ex.abort();
    }
    take_stream_usage(call.meter, call.rec);
    std::string chunk =
        "data: " +
        error_body_text(ErrorCode::kOutputModeration,
                        "the answer was refused by moderation rule " + call.refused_by) +
        "\n\n";
    co_await w.write(chunk);
    co_await w.end();
    co_return;
  }
  if (!open) {
    // The client left: stop the upstream's generation. An upstream with
    // cumulative usage is drained so the bill is exactly what it generated
    // until it saw that (stream_drain.h); any other is cut off at once and
    // billed for the events read so far.
    if (ep.continuous_usage) {
      co_await drain_aborted_stream(&ex, &splitter, &call.meter, kAbortDrainMs);
    } else {
      ex.abort();
    }
    take_stream_usage(call.meter, call.rec);
    call.rec.status = 499;
    co_return;
  }
  take_stream_usage(call.meter, call.rec);
  if (failed) {
    // Streaming began: the error travels as one last event.
    note_upstream_failure(ep);
    ApiError err = error_for(*failed, call.rec.model);
    call.rec.status = err.http_status();
    call.rec.error_code = static_cast<int64_t>(err.code());
    std::string chunk = "data: " + error_body_text(err.code(), err.what()) + "\n\n";
    co_await w.write(chunk);
  } else {
    ex.release();
  }
  if (!failed && !trim(splitter.pending()).empty()) {
    std::string rest = splitter.pending() + "\n\n";
    co_await w.write(rest);
  }
  co_await w.end();
}

bool Gateway::refuses_event(const std::string& event, moderation::OutputScanner& scanner,
                            Call& call) {
  // Events are "data: {json}\n\n"; anything else carries no text.
  std::string_view data = event;
  if (!data.starts_with("data:")) return false;
  data.remove_prefix(5);
  bj::error_code ec;
  bj::value chunk = bj::parse(trim(std::string(data)), ec);
  if (ec) return false;
  auto hit = scanner.feed(moderation::chunk_text(chunk));
  if (!hit) return false;
  call.refused_by = *hit;
  call.rec.status = 400;
  call.rec.error_code = static_cast<int64_t>(ErrorCode::kOutputModeration);
  return true;
}

void Gateway::note_upstream_failure(const Endpoint& ep) {
  note_failure(*ep.health, opts_.ejection, now_ms());
  metrics_.counter_add("hydra_gateway_upstream_failures_total", {{"upstream", ep.base_url}});
}

void Gateway::finish(Call& call) {
  int64_t elapsed_ns = mono_ns() - call.start_ns;
  call.rec.latency_ms = elapsed_ns / 1000000;
  call.rec.ttft_ms =
      call.first_event_ns ? (call.first_event_ns - call.start_ns) / 1000000 : call.rec.latency_ms;
  RequestSample sample;
  sample.status = static_cast<int>(call.rec.status);
  sample.seconds = elapsed_ns / 1e9;
  if (call.first_event_ns) sample.ttft_seconds = (call.first_event_ns - call.start_ns) / 1e9;
  sample.prompt_tokens = call.rec.prompt_tokens;
  sample.completion_tokens = call.rec.completion_tokens;
  sample.cached_tokens = call.rec.cached_tokens;
  // Unknown names stay out of the labels: clients choose them, and every
  // label value is a time series kept forever.
  route_metrics_.record(call.route_found ? call.rec.model : "", sample);
  // Priced here, not only when the record is written, so cost quotas see it.
  if (call.rec.cost == 0 && (call.rec.prompt_tokens || call.rec.completion_tokens)) {
    call.rec.cost = metering::cost_of(usage_.prices().cached_price_of(call.rec.model),
                                      call.rec.prompt_tokens, call.rec.completion_tokens);
  }
  // Only authenticated requests are metered: there is no one to bill otherwise.
  limits_.settle(call.limits, call.rec.prompt_tokens + call.rec.completion_tokens, call.rec.cost);
  if (call.authenticated) usage_.submit(std::move(call.rec));
}

}  // namespace hydra::gateway
