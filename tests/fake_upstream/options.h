#pragma once
// Command-line settings of the fake upstream: how fast it answers, how many
// tokens it produces, whether it reports usage, and how it fails.
#include <cstdint>
#include <string>
#include <vector>

namespace fake {

enum class FailMode {
  kNone,
  kRefuse,  // accept, then close the connection at once
  kStatus,  // answer every inference request with --fail-status
  kHang,    // read the request and never answer
  kCut,     // stream --cut-after events (or half a body), then drop the connection
};

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port (printed, and written to --port-file)
  std::string port_file;
  int threads = 1;
  int64_t latency_ms = 0;   // before the answer head
  int64_t tokens = 16;      // completion tokens when the request gives no max_tokens
  int64_t interval_ms = 0;  // between streamed token events
  bool usage = true;        // report usage in answers and (when asked) streams
  FailMode fail = FailMode::kNone;
  int fail_status = 500;
  int64_t cut_after = 2;  // events sent before a kCut stream is dropped
  int64_t embedding_dims = 8;
  size_t ledger_max = 1000000;  // requests remembered (oldest forgotten first)
};

// Throws std::invalid_argument with a message naming the bad flag.
Options parse_options(const std::vector<std::string>& args);
std::string usage_text();

}  // namespace fake
