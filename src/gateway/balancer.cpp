#include "gateway/balancer.h"

#include <algorithm>
#include <random>

namespace hydra::gateway {
namespace {

std::mt19937_64& rng() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return gen;
}

uint64_t uniform(uint64_t n) {
  return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng());
}

int pick_round_robin(const Route& r, const std::vector<int>& candidates) {
  uint64_t at = r.cursor ? r.cursor->fetch_add(1) : 0;
  return candidates[at % candidates.size()];
}

int pick_weighted(const std::vector<int>& candidates, const Route& r) {
  int64_t total = 0;
  for (int i : candidates) total += std::max<int64_t>(0, r.endpoints[i].weight);
  if (total <= 0) return candidates[uniform(candidates.size())];
  auto x = static_cast<int64_t>(uniform(static_cast<uint64_t>(total)));
  for (int i : candidates) {
    x -= std::max<int64_t>(0, r.endpoints[i].weight);
    if (x < 0) return i;
  }
  return candidates.back();
}

int pick_least_outstanding(const Route& r, const std::vector<int>& candidates) {
  // Ties rotate, so idle endpoints share the load instead of the first taking all.
  uint64_t start = r.cursor ? r.cursor->fetch_add(1) : 0;
  int best = -1;
  int64_t best_n = 0;
  for (size_t k = 0; k < candidates.size(); ++k) {
    int i = candidates[(start + k) % candidates.size()];
    int64_t n = r.endpoints[i].health->outstanding.load();
    if (best < 0 || n < best_n) {
      best = i;
      best_n = n;
    }
  }
  return best;
}

}  // namespace

int pick_endpoint(const Route& route, const std::vector<int>& tried, int64_t now_ms) {
  // Scratch lists kept by the thread: a pick allocates nothing once they have grown.
  thread_local std::vector<int> candidates, probed_ok;
  candidates.clear();
  probed_ok.clear();
  for (size_t i = 0; i < route.endpoints.size(); ++i) {
    int idx = static_cast<int>(i);
    if (std::find(tried.begin(), tried.end(), idx) != tried.end()) continue;
    if (route.endpoints[i].health->ejected_until_ms.load() > now_ms) continue;
    candidates.push_back(idx);
  }
  if (candidates.empty()) return -1;
  // Endpoints failing their probes are left out, unless all are: then the
  // probes may be wrong (a path the upstream refuses, say), and trying beats
  // refusing every request.
  for (int i : candidates) {
    if (!route.endpoints[static_cast<size_t>(i)].health->probe_failing.load()) {
      probed_ok.push_back(i);
    }
  }
  if (!probed_ok.empty()) candidates.swap(probed_ok);
  if (route.lb_policy == "random") return candidates[uniform(candidates.size())];
  if (route.lb_policy == "weighted") return pick_weighted(candidates, route);
  if (route.lb_policy == "least_outstanding") return pick_least_outstanding(route, candidates);
  return pick_round_robin(route, candidates);
}

void note_success(EndpointHealth& h) {
  h.consecutive_failures = 0;
  h.ejected_until_ms = 0;
}

void note_failure(EndpointHealth& h, const EjectionPolicy& p, int64_t now_ms) {
  if (++h.consecutive_failures >= p.eject_after) {
    h.ejected_until_ms = now_ms + p.eject_ms;
    h.consecutive_failures = 0;
  }
}

}  // namespace hydra::gateway
