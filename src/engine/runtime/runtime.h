#pragma once
// The decode loop of a served model (continuous batching). Requests wait in
// a bounded queue; a single thread runs the batch: every iteration admits
// waiting requests while there are free sequence slots and KV blocks for
// them (so new requests join at the next step), then runs ONE forward pass
// whose rows are the next token of every generating sequence plus chunks of
// the prompts still being prefilled (at most max_batch_tokens rows; long
// prompts are split over several steps so they never stall running
// streams), delivers what each produced, and drops the ones that finished
// or were cancelled. KV caches are paged in one shared store; a prompt that
// starts with blocks another request already computed reuses them.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/model/decoder.h"
#include "engine/model/kv_blocks.h"
#include "engine/runtime/loaded_model.h"
#include "engine/sampling/sampler.h"
#include "engine/sampling/sampling_params.h"

namespace hydra::engine {

// What one decode step of one choice produced.
struct TokenEvent {
  int choice = 0;
  int32_t token = -1;                    // -1 when the event only ends the choice
  std::string text;                      // output text that became final (may be empty)
  std::optional<SampledToken> logprobs;  // when the request asked for them
  bool finished = false;
  std::string finish_reason;      // when finished: "stop", "length", "cancelled", "error"
  std::string error;              // when finish_reason is "error"
  int32_t completion_tokens = 0;  // generated so far by this choice
};

// Receives the events of one request, on the decode thread; must not block.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void deliver(TokenEvent event) = 0;
};

struct GenerationRequest {
  std::vector<int32_t> prompt;
  SamplingParams params;  // params.n choices, each on its own random stream
  uint64_t seed = 0;      // params.seed, or a fresh seed shared by the choices
};

// The caller's side of a submitted request: cancelling makes its sequences
// leave the batch at the next step. Destroying the handle cancels too, so a
// handler that ends early never leaves work behind.
class RequestHandle {
 public:
  explicit RequestHandle(std::shared_ptr<std::atomic<bool>> flag) : flag_(std::move(flag)) {}
  ~RequestHandle() { cancel(); }
  RequestHandle(const RequestHandle&) = delete;
  RequestHandle& operator=(const RequestHandle&) = delete;
  void cancel() { flag_->store(true, std::memory_order_relaxed); }
  bool cancelled() const { return flag_->load(std::memory_order_relaxed); }

 private:
  std::shared_ptr<std::atomic<bool>> flag_;  // shared with the runtime's entry
};

struct RuntimeStats;

struct RuntimeOptions {
  int max_running = 8;         // sequences decoded together (a request with n choices takes n)
  int max_waiting = 64;        // requests queued beyond that; more are refused
  int max_batch_tokens = 512;  // rows of one forward pass (raised to max_running if lower)
  int64_t kv_cache_bytes = 0;  // KV store size; 0: max_running full contexts
  GgmlType kv_type = GgmlType::kF32;  // f32, f16 or q8_0
  bool prefix_caching = true;
  // Called (on the decode thread, or in submit) whenever the number of
  // running or waiting requests may have changed; for gauges. Must not block.
  std::function<void(int64_t running, int64_t waiting)> on_load;
  // Called on the decode thread after every step; must not block.
  std::function<void(const RuntimeStats&)> on_step;
};

struct RuntimeStats {
  int64_t running_requests = 0;
  int64_t running_sequences = 0;
  int64_t waiting_requests = 0;
  int64_t steps = 0;           // batch iterations so far
  int64_t max_batch_seen = 0;  // most sequences decoded in one iteration
  int64_t kv_blocks_total = 0;
  int64_t kv_blocks_used = 0;  // held by running sequences
  int64_t prefix_queries = 0;  // prompt blocks looked up in the prefix cache
  int64_t prefix_hits = 0;     // ... and found there
  int64_t prefill_tokens = 0;  // prompt tokens computed (reused ones excluded)
};

class Runtime {
 public:
  // `model` must be a decoder and outlive the runtime.
  Runtime(const LoadedModel& model, RuntimeOptions options);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Queues a request. Invalid requests (empty prompt, ids outside the
  // vocabulary, prompt + max_tokens beyond the context, n above
  // max_running) throw ApiError PARAM_ERROR; a full queue throws
  // SERVER_BUSY (503). The returned handle has to be kept for as long as
  // the caller wants the request to run.
  std::unique_ptr<RequestHandle> submit(GenerationRequest request, std::shared_ptr<EventSink> sink);

  RuntimeStats stats() const;
  const LoadedModel& model() const { return model_; }
  const RuntimeOptions& options() const { return options_; }

 private:
  struct Entry;
  struct Sequence;

  void loop();
  void admit(std::vector<std::shared_ptr<Entry>>& admitted);
  void start_sequences(const std::shared_ptr<Entry>& entry);
  void step_batch();
  void collect_rows(std::vector<BatchRow>& rows, std::vector<Sequence*>& owners);
  void sample_next(Sequence& seq);
  int64_t blocks_needed(const GenerationRequest& r) const;
  void finish(Sequence& seq, TokenEvent& event, std::string reason);
  void cancel_all();
  void report_load();

  const LoadedModel& model_;
  RuntimeOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Entry>> waiting_;  // guarded by mu_
  bool stop_ = false;                           // guarded by mu_
  int reserved_slots_ = 0;                      // guarded by mu_: sequences admitted, not yet done
  int64_t reserved_blocks_ = 0;                 // guarded by mu_: KV blocks they may need
  std::shared_ptr<KvBlocks> kv_;                // decode thread only (after construction)

  std::vector<std::unique_ptr<Sequence>> running_;  // decode thread only
  std::atomic<int64_t> running_requests_{0};
  std::atomic<int64_t> running_sequences_{0};
  std::atomic<int64_t> steps_{0};
  std::atomic<int64_t> max_batch_seen_{0};
  std::atomic<int64_t> prefill_tokens_{0};
  mutable std::mutex kv_stats_mu_;
  KvBlockStats kv_stats_;  // guarded by kv_stats_mu_: copied after every step
  std::thread thread_;
};

}  // namespace hydra::engine
