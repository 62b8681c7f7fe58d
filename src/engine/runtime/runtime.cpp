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
  int64_t fed = 0;      // prompt tokens in the cache (computed or reused)
  int64_t pending = 0;  // rows of this sequence in the current step
  bool done = false;
  TokenEvent final_event;  // delivered once the sequence's blocks are freed

  bool prefilling() const { return fed < static_cast<int64_t>(entry->request.prompt.size()); }

  Sequence(const LoadedModel& lm, std::shared_ptr<KvBlocks> kv, std::shared_ptr<Entry> e, int index)
      : entry(std::move(e)),
        choice(index),
        cache(std::move(kv), static_cast<int64_t>(entry->request.prompt.size()) +
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
  options_.max_batch_tokens = std::max(options_.max_batch_tokens, options_.max_running);
  const Model& m = *model_.model;
  const int64_t bs = KvBlocks::kDefaultBlockSize;
  const int64_t blocks =
      options_.kv_cache_bytes > 0
          ? KvBlocks::blocks_for_bytes(m, options_.kv_type, bs, options_.kv_cache_bytes)
          : options_.max_running * ((model_.n_ctx + bs - 1) / bs);
  kv_ = std::make_shared<KvBlocks>(m, blocks, options_.kv_type, bs);
  kv_stats_ = kv_->stats();
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
  if (blocks_needed(request) * p.n > kv_->stats().total_blocks) {
    throw_param("the prompt plus max_tokens needs more KV cache than this server has",
                "max_tokens");
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
  s.prefill_tokens = prefill_tokens_.load();
  std::lock_guard lk(kv_stats_mu_);
  s.kv_blocks_total = kv_stats_.total_blocks;
  s.kv_blocks_used = kv_stats_.used_blocks;
  s.prefix_queries = kv_stats_.prefix_queries;
  s.prefix_hits = kv_stats_.prefix_hits;
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
    const int64_t blocks = blocks_needed(e->request) * e->request.params.n;
    if (reserved_slots_ + e->request.params.n > options_.max_running) break;
    if (reserved_blocks_ + blocks > kv_->stats().total_blocks) break;
    reserved_slots_ += e->request.params.n;
    reserved_blocks_ += blocks;
    waiting_.pop_front();
    admitted.push_back(std::move(e));
  }
}

void Runtime::start_sequences(const std::shared_ptr<Entry>& entry) {
  entry->live = entry->request.params.n;
  running_requests_.fetch_add(1);
  for (int c = 0; c < entry->request.params.n; ++c) {
    auto seq = std::make_unique<Sequence>(model_, kv_, entry, c);
    if (options_.prefix_caching) seq->fed = seq->cache.attach_prefix(entry->request.prompt);
    running_.push_back(std::move(seq));
  }
  running_sequences_.store(static_cast<int64_t>(running_.size()));
}

int64_t Runtime::blocks_needed(const GenerationRequest& r) const {
  const int64_t bs = KvBlocks::kDefaultBlockSize;
  return (static_cast<int64_t>(r.prompt.size()) + r.params.max_tokens + bs - 1) / bs;
}

// The rows of one forward pass: first the next token of every generating
// sequence (so streams keep their pace), then prompt chunks in admission
// order while the token budget lasts. Cancelled sequences end here.
void Runtime::collect_rows(std::vector<BatchRow>& rows, std::vector<Sequence*>& owners) {
  int64_t budget = options_.max_batch_tokens;
  for (auto& seq : running_) {
    seq->pending = 0;
    if (seq->entry->is_cancelled()) {
      TokenEvent ev;
      finish(*seq, ev, "cancelled");
      continue;
    }
    if (seq->prefilling()) continue;
    rows.push_back({&seq->cache, seq->output.back(), seq->cache.n_past, seq->logits.data()});
    owners.push_back(seq.get());
    seq->pending = 1;
    --budget;
  }
  for (auto& seq : running_) {
    if (seq->done || !seq->prefilling() || budget <= 0) continue;
    const std::vector<int32_t>& prompt = seq->entry->request.prompt;
    const int64_t take = std::min<int64_t>(budget, static_cast<int64_t>(prompt.size()) - seq->fed);
    for (int64_t i = 0; i < take; ++i) {
      const int64_t at = seq->fed + i;
      const bool last = at + 1 == static_cast<int64_t>(prompt.size());
      rows.push_back(
          {&seq->cache, prompt[static_cast<size_t>(at)], at, last ? seq->logits.data() : nullptr});
      owners.push_back(seq.get());
    }
    seq->pending = take;
    budget -= take;
  }
}

void Runtime::step_batch() {
  const int64_t batch = static_cast<int64_t>(running_.size());
  if (batch > max_batch_seen_.load()) max_batch_seen_.store(batch);
  std::vector<BatchRow> rows;
  std::vector<Sequence*> owners;
  collect_rows(rows, owners);
  bool ok = true;
  try {
    forward_batch(*model_.model, rows);
  } catch (const std::exception& e) {
    ok = false;
    for (Sequence* seq : owners) {
      if (seq->done) continue;
      TokenEvent ev;
      ev.error = e.what();
      finish(*seq, ev, "error");
    }
  }
  for (auto& seq : running_) {
    if (!ok || seq->done || seq->pending == 0) continue;
    if (seq->prefilling()) {
      seq->fed += seq->pending;
      prefill_tokens_.fetch_add(seq->pending);
      if (seq->prefilling()) continue;  // more chunks to come
      if (options_.prefix_caching) seq->cache.publish_prefix(seq->entry->request.prompt);
    }
    try {
      sample_next(*seq);
    } catch (const std::exception& e) {
      TokenEvent ev;
      ev.error = e.what();
      finish(*seq, ev, "error");
    }
  }
  int freed = 0;
  int64_t freed_blocks = 0;
  std::vector<std::pair<std::shared_ptr<Entry>, TokenEvent>> finals;
  for (auto& seq : running_) {
    if (!seq->done) continue;
    ++freed;
    freed_blocks += blocks_needed(seq->entry->request);
    if (--seq->entry->live == 0) running_requests_.fetch_sub(1);
    finals.emplace_back(seq->entry, std::move(seq->final_event));
  }
  std::erase_if(running_, [](const std::unique_ptr<Sequence>& s) { return s->done; });
  running_sequences_.store(static_cast<int64_t>(running_.size()));
  steps_.fetch_add(1);
  {
    std::lock_guard lk(kv_stats_mu_);
    kv_stats_ = kv_->stats();
  }
  if (freed > 0) {
    std::lock_guard lk(mu_);
    reserved_slots_ -= freed;
    reserved_blocks_ -= freed_blocks;
  }
  // Last, so a caller that sees its request finish also sees its cache
  // blocks returned in the stats.
  for (auto& [entry, ev] : finals) entry->sink->deliver(std::move(ev));
  if (options_.on_step) options_.on_step(stats());
}

// Samples the token after the logits the last step left: the same order
// of work as generate().
void Runtime::sample_next(Sequence& seq) {
  const GenerationRequest& req = seq.entry->request;
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
// and keeps the final event, delivered when the step has freed the
// sequence (or by cancel_all).
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
  seq.final_event = std::move(ev);
}

void Runtime::report_load() {
  if (!options_.on_load) return;
  const RuntimeStats s = stats();
  options_.on_load(s.running_requests, s.waiting_requests);
}

// At shutdown: every request still queued or running ends as cancelled, so
// no caller waits forever.
void Runtime::cancel_all() {
  std::vector<std::pair<std::shared_ptr<Entry>, TokenEvent>> finals;
  for (auto& seq : running_) {
    if (seq->done) continue;
    TokenEvent ev;
    finish(*seq, ev, "cancelled");
    finals.emplace_back(seq->entry, std::move(seq->final_event));
  }
  running_.clear();
  for (auto& [entry, ev] : finals) entry->sink->deliver(std::move(ev));
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
