#include "metering/usage_recorder.h"

#include <algorithm>

#include "common/clock.h"
#include "common/log.h"
#include "common/thread_priority.h"
#include "metering/record_inserts.h"
#include "metering/rollup.h"

namespace hydra::metering {

UsageRecorder::UsageRecorder(store::Store& st, http::Metrics& metrics, UsageRecorderOptions opts)
    : store_(st),
      metrics_(metrics),
      opts_(opts),
      prices_(st),
      adaptive_(idle_priority_reversible()) {
  if (!adaptive_) {
    spdlog::info(
        "usage: the metering writer runs at normal priority (the system does not let "
        "a thread come back from idle priority)");
  }
  metrics_.describe("hydra_gateway_usage_dropped_total", "counter",
                    "Usage records dropped because the metering queue was full");
  metrics_.describe("hydra_gateway_usage_write_failures_total", "counter",
                    "Usage records lost because the store refused a batch");
  metrics_.describe("hydra_gateway_usage_writer_raised_total", "counter",
                    "Times the metering writer fell behind and went from idle to normal priority");
  thread_ = std::thread([this] { run(); });
  if (adaptive_) watchdog_ = std::thread([this] { watch(); });
}

UsageRecorder::~UsageRecorder() {
  stop();
}

bool UsageRecorder::submit(UsageRecord r) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() < opts_.capacity && !stopping_) {
      queue_.push_back(std::move(r));
      if (queue_.size() >= opts_.batch) cv_.notify_one();
      // At once, not at the watchdog's next look; under the lock, so stop()
      // cannot have joined the writer.
      if (queue_.size() >= opts_.backlog) raise_writer();
      return true;
    }
  }
  metrics_.counter_add("hydra_gateway_usage_dropped_total", {});
  return false;
}

void UsageRecorder::raise_writer() {
  if (!writer_idle_.exchange(false)) return;
  if (set_thread_priority(thread_.native_handle(), ThreadPriority::normal)) {
    metrics_.counter_add("hydra_gateway_usage_writer_raised_total", {});
  }
}

// At normal priority, and asleep almost always: a writer starved in the
// middle of a transaction holds every other store write back, however short
// its queue (a long queue is submit()'s to notice).
void UsageRecorder::watch() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    watch_cv_.wait_for(lock, std::chrono::milliseconds(opts_.watch_ms));
    int64_t started = batch_started_ns_.load();
    if (started != 0 && mono_ns() - started > opts_.stall_ms * 1000000) raise_writer();
  }
}

// The lock is held for a swap, not for moving records: a request that
// submits never waits behind the writer, whatever the writer's priority.
// `into` comes back empty, and its capacity becomes the queue's.
void UsageRecorder::take_all(std::vector<UsageRecord>& into) {
  into.clear();
  std::lock_guard<std::mutex> lock(mu_);
  into.swap(queue_);
}

size_t UsageRecorder::queued() {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

// Back to idle priority once no more than a batch waits (queued, or taken
// and not yet written); the gap to `backlog` keeps the writer from flipping
// on every batch.
void UsageRecorder::lower_priority_if_caught_up(size_t unwritten) {
  if (!adaptive_ || writer_idle_.load()) return;
  if (queued() + unwritten > opts_.batch) return;
  if (set_thread_priority(ThreadPriority::idle)) writer_idle_.store(true);
}

void UsageRecorder::run() {
  lower_priority_if_caught_up(0);
  std::vector<UsageRecord> taken;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(opts_.interval_ms),
                   [this] { return stopping_ || queue_.size() >= opts_.batch; });
      if (stopping_) return;
    }
    std::lock_guard<std::mutex> writing(write_mu_);
    take_all(taken);
    write_taken(taken, true);
  }
}

// In batches of opts_.batch: one transaction each.
void UsageRecorder::write_taken(std::vector<UsageRecord>& taken, bool on_writer) {
  std::span<UsageRecord> all(taken);
  for (size_t at = 0; at < all.size(); at += opts_.batch) {
    auto batch = all.subspan(at, std::min(opts_.batch, all.size() - at));
    if (on_writer) {
      lower_priority_if_caught_up(all.size() - at);
      batch_started_ns_.store(mono_ns());
    }
    write_batch(batch);
  }
  if (on_writer) batch_started_ns_.store(0);
}

void UsageRecorder::flush() {
  std::lock_guard<std::mutex> writing(write_mu_);
  std::vector<UsageRecord> taken;
  take_all(taken);
  write_taken(taken, false);
}

void UsageRecorder::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  watch_cv_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();  // first: it may touch the writer
  if (thread_.joinable()) thread_.join();
  flush();
}

// Records the gateway could not price yet. One lookup per run of records
// of the same model, not one per record: the price book's lock is shared
// with the request path, and an idle writer preempted while holding it
// would keep a request waiting.
void UsageRecorder::price(std::span<UsageRecord> batch) {
  const std::string* priced = nullptr;
  Price p;
  for (auto& r : batch) {
    if (r.cost != 0 || (r.prompt_tokens == 0 && r.completion_tokens == 0)) continue;
    if (!priced || *priced != r.model) {
      p = prices_.price_of(r.model);
      priced = &r.model;
    }
    r.cost = cost_of(p, r.prompt_tokens, r.completion_tokens);
  }
}

// A batch is milliseconds of CPU; written in one go at normal priority it
// holds a core that a request's thread (or its client, or its upstream) may
// be waiting for, on a small machine for the whole batch. Giving the core up
// between statements of kRowsPerInsert rows (tens of microseconds) bounds
// that wait; when nothing else wants the core the yield returns at once. At
// idle priority a waking thread preempts the writer anyway. (flush() writes
// on its caller's thread, at shutdown, when no request waits.)
void UsageRecorder::write_batch(std::span<UsageRecord> batch) {
  auto between_statements = [this] {
    if (!writer_idle_.load(std::memory_order_relaxed)) std::this_thread::yield();
  };
  price(batch);
  // Parameters are built before the transaction, so a store that retries it
  // writes the same rows.
  std::vector<store::Params> rollups = rollup_rows(batch);
  std::vector<RecordInsert> inserts;
  inserts.reserve((batch.size() + kRowsPerInsert - 1) / kRowsPerInsert);
  for (size_t at = 0; at < batch.size(); at += kRowsPerInsert) {
    if (inserts.size() % 8 == 0) between_statements();
    inserts.push_back(
        record_insert(batch.subspan(at, std::min(kRowsPerInsert, batch.size() - at))));
  }
  try {
    store_.transact([&](store::Session& s) {
      for (const auto& insert : inserts) {
        between_statements();
        s.exec(insert.sql, insert.params);
      }
      add_to_rollups(s, rollups);
    });
  } catch (const std::exception& e) {
    spdlog::error("usage: {} records not stored: {}", batch.size(), e.what());
    metrics_.counter_add("hydra_gateway_usage_write_failures_total", {},
                         static_cast<double>(batch.size()));
  }
}

}  // namespace hydra::metering
