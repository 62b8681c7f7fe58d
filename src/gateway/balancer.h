#pragma once
// Picking an endpoint of a route, and passive outlier ejection: an endpoint
// that fails `eject_after` times in a row is skipped for `eject_ms`, then
// gets traffic again (one success clears its record).
#include <cstdint>
#include <vector>

#include "gateway/route_table.h"

namespace hydra::gateway {

struct EjectionPolicy {
  int eject_after = 3;
  int64_t eject_ms = 10000;
};

// Index of the endpoint for the next try, skipping `tried` and ejected
// ones, and those failing active probes while any other is left; -1 when
// none is left. Policies: round_robin, random, weighted
// (by weight; endpoints of weight 0 only when all are 0), least_outstanding.
int pick_endpoint(const Route& route, const std::vector<int>& tried, int64_t now_ms);

// Records the outcome of one try.
void note_success(EndpointHealth& h);
void note_failure(EndpointHealth& h, const EjectionPolicy& p, int64_t now_ms);

// Holds one request on an endpoint, for least_outstanding.
class OutstandingGuard {
 public:
  explicit OutstandingGuard(EndpointHealth& h) : h_(h) { h_.outstanding++; }
  ~OutstandingGuard() { h_.outstanding--; }
  OutstandingGuard(const OutstandingGuard&) = delete;
  OutstandingGuard& operator=(const OutstandingGuard&) = delete;

 private:
  EndpointHealth& h_;
};

}  // namespace hydra::gateway
