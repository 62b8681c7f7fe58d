#pragma once
// One metered request (DESIGN.md §3 UsageRecord), as the gateway fills it
// and the `usage_records` table holds it.
#include <cstdint>
#include <string>

namespace hydra::metering {

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
  double cost = 0;         // filled from the model's prices when written
  int status = 0;          // HTTP status the client got (499: client went away)
  int64_t error_code = 0;  // platform error code, 0 for none
  int64_t latency_ms = 0;
  int64_t ttft_ms = 0;  // streams: time to the first event sent; else the latency
  bool stream = false;
};

// How a status counts in aggregates: a client that left (499) is neither a
// success nor a failure of the platform.
inline bool is_failure(int64_t status) {
  return status >= 400 && status != 499;
}
inline bool is_aborted(int64_t status) {
  return status == 499;
}

}  // namespace hydra::metering
