#include "engine/runtime/runtime.h"

#include <algorithm>

#include "common/error.h"
#include "engine/model/decoder.h"
#include "engine/model/kv_cache.h"
#include "engine/sampling/generate.h"
#include "engine/sampling/stop_matcher.h"
#include "engine/tokenizer/stream_decoder.h"

namespace hydra::engine {

// A request in the queue or in the batch.
struct Runtime::Entry {
  GenerationRequest request;
  std::shared_ptr<EventSink> sink;
  std::shared_ptr<std::atomic<bool>> cancelled = std::make_shared<std::atomic<bool>>(false);
  bool is_cancelled() const { return cancelled->load(std::memory_order_relaxed); }
  std::vector<int32_t> end_tokens;  // sorted
  int live = 0;                     // choices still running (decode thread)
};

// One choice being generated.
struct Runtime::Sequence {
  std::shared_ptr<Entry> entry;
  int choice = 0;
  KvCache cache;
  Sampler sampler;
  StreamDecoder detok;
  StopMatcher stops;
  std::vector<int32_t> output;
  std::vector<float> logits;
  bool prefilled = false;
  bool done = false;

  Sequence(const LoadedModel& lm, std::shared_ptr<Entry> e, int index)
      : entry(std::move(e)),
        choice(index),
        cache(*lm.model, static_cast<int64_t>(entry->request.prompt.size()) +
                             entry->request.params.max_tokens),
        sampler(entry->request.params, entry->request.seed, static_cast<uint64_t>(index),
                lm.token_bytes.get(), entry->end_tokens),
        detok(*lm.tokenizer),
        stops(entry->request.params.stop),
        logits(static_cast<size_t>(lm.model->n_vocab())) {
    sampler.add_prompt(entry->request.prompt);
  }
};

Runtime::Runtime(const LoadedModel& model, RuntimeOptions options)
    : model_(model), options_(options) {
  if (model_.model->is_encoder()) throw_param("an encoder model cannot generate text");
  if (options_.max_running < 1) throw_param("max_running must be at least 1", "max_running");
  if (options_.max_waiting < 0) throw_param("max_waiting must not be negative", "max_waiting");
  thread_ = std::thread([this] { loop(); });
}

Runtime::~Runtime() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  cancel_all();
}

std::unique_ptr<RequestHandle> Runtime::submit(GenerationRequest request,
                                               std::shared_ptr<EventSink> sink) {
  const SamplingParams& p = request.params;
  validate(p);
  if (request.prompt.empty()) throw_param("the prompt must not be empty", "prompt");
  for (int32_t id : request.prompt) {
    if (!model_.tokenizer->valid_id(id) || id >= model_.model->n_vocab())
      throw_param("token id " + std::to_string(id) + " is outside the vocabulary", "prompt");
  }
  const int64_t need = static_cast<int64_t>(request.prompt.size()) + p.max_tokens;
  if (need > model_.n_ctx) {
    throw_param("the prompt (" + std::to_string(request.prompt.size()) +
                    " tokens) plus max_tokens (" + std::to_string(p.max_tokens) +
                    ") exceeds the context length of " + std::to_string(model_.n_ctx),
                "max_tokens");
  }
  if (p.n > options_.max_running) {
    throw_param("n may be at most " + std::to_string(options_.max_running) + " on this server",
                "n");
  }
  auto entry = std::make_shared<Entry>();
  entry->end_tokens = end_tokens(*model_.model, *model_.tokenizer, p);
  entry->request = std::move(request);
  entry->sink = std::move(sink);
  auto handle = std::make_unique<RequestHandle>(entry->cancelled);
  {
    std::lock_guard lk(mu_);
    if (static_cast<int>(waiting_.size()) >= options_.max_waiting &&
        reserved_slots_ + entry->request.params.n > options_.max_running) {
      throw ApiError(ErrorCode::kServerBusy, "the server is busy: too many requests are waiting");
    }
    waiting_.push_back(std::move(entry));
  }
  cv_.notify_one();
  report_load();
  return handle;
}

RuntimeStats Runtime::stats() const {
  RuntimeStats s;
  {
    std::lock_guard lk(mu_);
    s.waiting_requests = static_cast<int64_t>(waiting_.size());
  }
  s.running_requests = running_requests_.load();
  s.running_sequences = running_sequences_.load();
  s.steps = steps_.load();
  s.max_batch_seen = max_batch_seen_.load();
  return s;
}

void Runtime::loop() {
  for (;;) {
    std::vector<std::shared_ptr<Entry>> admitted;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return stop_ || !waiting_.empty() || !running_.empty(); });
      if (stop_) return;
      admit(admitted);
    }
    for (const auto& e : admitted) start_sequences(e);
    if (!running_.empty()) step_batch();
    report_load();
  }
}

// Under mu_: moves waiting requests into the batch in arrival order while
// their choices fit; cancelled ones are answered and dropped.
void Runtime::admit(std::vector<std::shared_ptr<Entry>>& admitted) {
  while (!waiting_.empty()) {
    std::shared_ptr<Entry> e = waiting_.front();
    if (e->is_cancelled()) {
      waiting_.pop_front();
      for (int c = 0; c < e->request.params.n; ++c) {
        TokenEvent ev;
        ev.choice = c;
        ev.finished = true;
        ev.finish_reason = "cancelled";
        e->sink->deliver(std::move(ev));
      }
      continue;
    }
    if (reserved_slots_ + e->request.params.n > options_.max_running) break;
    reserved_slots_ += e->request.params.n;
    waiting_.pop_front();
    admitted.push_back(std::move(e));
  }
}

void Runtime::start_sequences(const std::shared_ptr<Entry>& entry) {
  entry->live = entry->request.params.n;
  running_requests_.fetch_add(1);
  for (int c = 0; c < entry->request.params.n; ++c) {
    running_.push_back(std::make_unique<Sequence>(model_, entry, c));
  }
  running_sequences_.store(static_cast<int64_t>(running_.size()));
}

void Runtime::step_batch() {
  const int64_t batch = static_cast<int64_t>(running_.size());
  if (batch > max_batch_seen_.load()) max_batch_seen_.store(batch);
  for (auto& seq : running_) {
    if (seq->entry->is_cancelled()) {
      TokenEvent ev;
      finish(*seq, ev, "cancelled");
      continue;
    }
    try {
      step(*seq);
    } catch (const std::exception& e) {
      TokenEvent ev;
      ev.error = e.what();
      finish(*seq, ev, "error");
    }
  }
  int freed = 0;
  for (auto& seq : running_) {
    if (!seq->done) continue;
    ++freed;
    if (--seq->entry->live == 0) running_requests_.fetch_sub(1);
  }
  std::erase_if(running_, [](const std::unique_ptr<Sequence>& s) { return s->done; });
  running_sequences_.store(static_cast<int64_t>(running_.size()));
  steps_.fetch_add(1);
  if (freed > 0) {
    std::lock_guard lk(mu_);
    reserved_slots_ -= freed;
  }
}

// One token of one sequence: the same order of work as generate().
void Runtime::step(Sequence& seq) {
  const Model& model = *model_.model;
  const GenerationRequest& req = seq.entry->request;
  if (!seq.prefilled) {
    decode(model, seq.cache, req.prompt, seq.logits.data());
    seq.prefilled = true;
  } else {
    decode(model, seq.cache, std::span<const int32_t>(&seq.output.back(), 1), seq.logits.data());
  }
  const int32_t max_tokens = req.params.max_tokens;
  const int32_t remaining = max_tokens - static_cast<int32_t>(seq.output.size());
  SampledToken s = seq.sampler.sample(seq.logits, remaining);
  TokenEvent ev;
  if (std::binary_search(seq.entry->end_tokens.begin(), seq.entry->end_tokens.end(), s.token)) {
    finish(seq, ev, "stop");
    return;
  }
  seq.sampler.accept(s.token);
  seq.output.push_back(s.token);
  ev.token = s.token;
  ev.text = seq.stops.push(seq.detok.push(s.token));
  if (req.params.logprobs || req.params.top_logprobs > 0) ev.logprobs = std::move(s);
  if (seq.stops.stopped() || seq.sampler.json_complete()) {
    finish(seq, ev, "stop");
  } else if (static_cast<int32_t>(seq.output.size()) >= max_tokens) {
    finish(seq, ev, "length");
  } else {
    ev.choice = seq.choice;
    ev.completion_tokens = static_cast<int32_t>(seq.output.size());
    seq.entry->sink->deliver(std::move(ev));
  }
}

// Ends a sequence: releases held-back text (unless a stop string ended it)
// and delivers the final event.
void Runtime::finish(Sequence& seq, TokenEvent& ev, std::string reason) {
  if (reason != "cancelled" && reason != "error" && !seq.stops.stopped()) {
    std::string tail = seq.stops.push(seq.detok.flush());
    if (seq.stops.stopped()) {
      reason = "stop";
    } else {
      tail += seq.stops.flush();
    }
    ev.text += tail;
  }
  ev.choice = seq.choice;
  ev.finished = true;
  ev.finish_reason = std::move(reason);
  ev.completion_tokens = static_cast<int32_t>(seq.output.size());
  seq.done = true;
  seq.entry->sink->deliver(std::move(ev));
}

void Runtime::report_load() {
  if (!options_.on_load) return;
  const RuntimeStats s = stats();
  options_.on_load(s.running_requests, s.waiting_requests);
}

// At shutdown: every request still queued or running ends as cancelled, so
// no caller waits forever.
void Runtime::cancel_all() {
  for (auto& seq : running_) {
    if (seq->done) continue;
    TokenEvent ev;
    finish(*seq, ev, "cancelled");
  }
  running_.clear();
  std::lock_guard lk(mu_);
  for (auto& e : waiting_) {
    for (int c = 0; c < e->request.params.n; ++c) {
      TokenEvent ev;
      ev.choice = c;
      ev.finished = true;
      ev.finish_reason = "cancelled";
      e->sink->deliver(std::move(ev));
    }
  }
  waiting_.clear();
}

}  // namespace hydra::engine
