#pragma once
// Metering off the request path: requests hand their UsageRecord to a
// bounded in-memory queue and go on; one background thread writes the queue
// to `usage_records` in batches (every interval or as soon as a batch is
// full). A full queue drops the record and counts it in
// hydra_gateway_usage_dropped_total rather than slowing requests down.
// flush() writes what is queued; the server calls it after draining.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http/metrics.h"
#include "store/store.h"

namespace hydra::gateway {

struct UsageRecord {
  std::string id;
  int64_t time = 0;  // ms since the epoch, when the request arrived
  std::string request_id;
  std::string workspace_id;
  std::string user_id;
  std::string key_id;
  std::string model;     // as the client named it
  std::string upstream;  // endpoint base URL that answered ("" if none)
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;
  double cost = 0;
  int status = 0;          // HTTP status the client got (499: client went away)
  int64_t error_code = 0;  // platform error code, 0 for none
  int64_t latency_ms = 0;
  int64_t ttft_ms = 0;  // streams: time to the first event sent; else the latency
  bool stream = false;
};

struct UsageRecorderOptions {
  size_t capacity = 65536;
  size_t batch = 256;
  int64_t interval_ms = 200;
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

 private:
  void run();
  void write_batch(std::vector<UsageRecord>& batch);
  std::vector<UsageRecord> take(size_t max);

  store::Store& store_;
  http::Metrics& metrics_;
  UsageRecorderOptions opts_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<UsageRecord> queue_;
  bool stopping_ = false;
  std::mutex write_mu_;  // one writer at a time, so flush() sees earlier batches stored
  std::thread thread_;
};

}  // namespace hydra::gateway
