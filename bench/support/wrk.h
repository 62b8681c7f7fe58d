#pragma once
// Load runs by wrk (Debian's package): a load generator faster than the
// servers measured here, so the figures are the server's, not the client's.
#include <string>
#include <vector>

namespace bench {

struct WrkRun {
  std::string url;
  int connections = 1;
  int threads = 1;
  int seconds = 10;
  std::vector<std::string> headers;  // "Name: value"
  std::string script;                // a Lua file, or empty
};

struct WrkResult {
  double rps = 0;
  double p50 = 0, p90 = 0, p99 = 0;  // ms
  long requests = 0;
  long errors = 0;  // non-2xx answers and socket errors
};

WrkResult run_wrk(const WrkRun& run);
// Parses wrk's --latency report; throws when it holds no figures.
WrkResult parse_wrk(const std::string& out);
void print_result(const char* name, const WrkResult& r);

}  // namespace bench
