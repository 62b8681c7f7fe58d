#include "metering/usage_recorder.h"

#include "common/log.h"
#include "metering/rollup.h"

namespace hydra::metering {

UsageRecorder::UsageRecorder(store::Store& st, http::Metrics& metrics, UsageRecorderOptions opts)
    : store_(st), metrics_(metrics), opts_(opts), prices_(st) {
  metrics_.describe("hydra_gateway_usage_dropped_total", "counter",
                    "Usage records dropped because the metering queue was full");
  metrics_.describe("hydra_gateway_usage_write_failures_total", "counter",
                    "Usage records lost because the store refused a batch");
  thread_ = std::thread([this] { run(); });
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
      return true;
    }
  }
  metrics_.counter_add("hydra_gateway_usage_dropped_total", {});
  return false;
}

std::vector<UsageRecord> UsageRecorder::take(size_t max) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<UsageRecord> out;
  while (!queue_.empty() && out.size() < max) {
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return out;
}

void UsageRecorder::run() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(opts_.interval_ms),
                   [this] { return stopping_ || queue_.size() >= opts_.batch; });
      if (stopping_) return;
    }
    std::lock_guard<std::mutex> writing(write_mu_);
    auto batch = take(opts_.batch);
    if (!batch.empty()) write_batch(batch);
  }
}

void UsageRecorder::flush() {
  std::lock_guard<std::mutex> writing(write_mu_);
  for (;;) {
    auto batch = take(opts_.batch);
    if (batch.empty()) return;
    write_batch(batch);
  }
}

void UsageRecorder::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  flush();
}

namespace {

// A batch is milliseconds of CPU; written in one go it holds a core that a
// request's thread (or its client, or its upstream) may be waiting for, on a
// small machine for the whole batch. Giving the core up every few rows (tens
// of microseconds) bounds that wait; when nothing else wants the core the
// yield returns at once.
constexpr size_t kRowsBetweenYields = 16;

// A record's row for the INSERT below, its strings moved in (a braced list
// would copy them).
store::Params row_of(UsageRecord&& r) {
  store::Params p;
  p.reserve(17);
  p.emplace_back(std::move(r.id));
  p.emplace_back(r.time);
  p.emplace_back(std::move(r.request_id));
  p.emplace_back(std::move(r.workspace_id));
  p.emplace_back(std::move(r.user_id));
  p.emplace_back(std::move(r.key_id));
  p.emplace_back(std::move(r.model));
  p.emplace_back(std::move(r.upstream));
  p.emplace_back(r.prompt_tokens);
  p.emplace_back(r.completion_tokens);
  p.emplace_back(r.cached_tokens);
  p.emplace_back(r.cost);
  p.emplace_back(int64_t{r.status});
  p.emplace_back(r.error_code);
  p.emplace_back(r.latency_ms);
  p.emplace_back(r.ttft_ms);
  p.emplace_back(int64_t{r.stream ? 1 : 0});
  return p;
}

}  // namespace

void UsageRecorder::write_batch(std::vector<UsageRecord>& batch) {
  for (auto& r : batch) {
    if (r.cost == 0)
      r.cost = cost_of(prices_.price_of(r.model), r.prompt_tokens, r.completion_tokens);
  }
  // Parameters are built before the transaction, so a store that retries it
  // writes the same rows.
  std::vector<store::Params> rollups = rollup_rows(batch);
  std::vector<store::Params> rows;
  rows.reserve(batch.size());
  for (auto& r : batch) {
    if (rows.size() % (kRowsBetweenYields * 8) == 0) std::this_thread::yield();
    rows.push_back(row_of(std::move(r)));
  }
  try {
    store_.transact([&](store::Session& s) {
      size_t n = 0;
      for (const auto& row : rows) {
        if (++n % kRowsBetweenYields == 0) std::this_thread::yield();
        s.exec(
            "INSERT INTO usage_records (id, time, request_id, workspace_id, user_id, key_id, "
            "model, upstream, prompt_tokens, completion_tokens, cached_tokens, cost, status, "
            "error_code, latency_ms, ttft_ms, stream) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            row);
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
