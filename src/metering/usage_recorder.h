#pragma once
// Metering off the request path: requests hand their UsageRecord to a
// bounded in-memory queue and go on; one background thread writes the queue
// to `usage_records` in batches (every interval or as soon as a batch is
// full). A full queue drops the record and counts it in
// hydra_gateway_usage_dropped_total rather than slowing requests down.
// Each batch is one transaction: the records, priced from the model's
// prices (pricing.h), and their additions to the rollups (rollup.h).
// flush() writes what is queued; the server calls it after draining.
// The writer runs at idle priority while it keeps up (a batch then never
// holds a core a request is waiting for). The submit that finds `backlog`
// records queued raises it to normal priority, and so does a watchdog
// thread when a batch has taken longer than `stall_ms` (a starved writer
// cannot notice by itself, and holds the store's write lock while its
// transaction is open); it goes back to idle once it has caught up. Where
// the system does not let a thread come back from idle priority the writer
// always runs at normal priority (thread_priority.h).
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "http/metrics.h"
#include "metering/pricing.h"
#include "metering/usage_record.h"
#include "store/store.h"

namespace hydra::metering {

struct UsageRecorderOptions {
  size_t capacity = 65536;
  size_t batch = 1024;  // fewer, larger commits: each rewrites the b-trees' last pages
  int64_t interval_ms = 200;
  size_t backlog = 2048;   // queued records that raise the writer to normal priority
  int64_t stall_ms = 200;  // so does a batch that takes longer than this
  int64_t watch_ms = 50;   // how often the watchdog looks
};

class UsageRecorder {
 public:
  UsageRecorder(store::Store& st, http::Metrics& metrics, UsageRecorderOptions opts = {});
  ~UsageRecorder();  // stops and flushes
  UsageRecorder(const UsageRecorder&) = delete;
  UsageRecorder& operator=(const UsageRecorder&) = delete;

  // Never blocks on the store; false when the queue was full.
  bool submit(UsageRecord r);
  // Writes everything submitted so far; returns once it is stored.
  void flush();
  void stop();
  // The prices records are charged at (also read by the gateway, so quotas
  // on cost see a request's cost when it settles).
  PriceBook& prices() { return prices_; }

 private:
  void run();
  void watch();
  // `on_writer`: called on the background thread, which may change its
  // priority between batches; flush() writes on the caller's thread.
  void write_taken(std::vector<UsageRecord>& taken, bool on_writer);
  void write_batch(std::span<UsageRecord> batch);
  void price(std::span<UsageRecord> batch);
  void lower_priority_if_caught_up(size_t unwritten);
  void raise_writer();
  size_t queued();
  void take_all(std::vector<UsageRecord>& into);

  store::Store& store_;
  http::Metrics& metrics_;
  UsageRecorderOptions opts_;
  std::mutex mu_;
  std::condition_variable cv_;        // wakes the writer
  std::condition_variable watch_cv_;  // wakes the watchdog on stop
  std::vector<UsageRecord> queue_;
  bool stopping_ = false;
  PriceBook prices_;
  const bool adaptive_;  // the writer may go back from idle priority
  std::atomic<bool> writer_idle_{false};
  std::atomic<int64_t> batch_started_ns_{0};  // 0 between batches
  std::mutex write_mu_;  // one writer at a time, so flush() sees earlier batches stored
  std::thread thread_;
  std::thread watchdog_;
};

}  // namespace hydra::metering
