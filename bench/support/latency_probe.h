#pragma once
// Latency at concurrency 1, request by request: one kept-alive connection,
// one request at a time, each timed from its first byte written to the last
// byte of its answer read. wrk reports only percentiles after correcting for
// coordinated omission; this keeps every sample, so both the latencies the
// requests had and wrk's corrected view can be printed from one run.
#include <string>
#include <vector>

namespace bench {

struct LatencyRun {
  int port = 0;         // on 127.0.0.1
  std::string request;  // the whole HTTP/1.1 request, sent as is each time
  double seconds = 1;
};

struct LatencySamples {
  std::vector<double> us;  // one per answered request, in order
  double seconds = 0;      // wall time of the run
  long errors = 0;         // answers other than 200
};

// Throws when the connection fails or an answer has no Content-Length.
LatencySamples measure_latency(const LatencyRun& run);

// The samples a load generator keeping one request in flight at the run's
// mean pace would have recorded had it sent on schedule (wrk's correction):
// a request that took k mean intervals also stands for the k - 1 that could
// not be sent while it was outstanding.
std::vector<double> corrected_for_omission(const LatencySamples& s);

// The q-quantile (0..1) of `v` (copied and sorted); 0 when empty.
double quantile(std::vector<double> v, double q);

}  // namespace bench
