#pragma once
// Active health probes: every `interval_ms` each distinct upstream base URL
// in the route table is asked `GET {base_url}/models` (every
// OpenAI-compatible server answers it, and it costs no tokens). A refused
// connection, a time-out or a 5xx answer counts as a failed probe; any other
// answer, 401 and 404 included, shows the server is up. After `fail_after`
// failed probes in a row the upstream's endpoints leave the rotation
// (balancer.h) until one probe passes. Passive ejection still works between
// probes; the two complement each other.
#include <cstdint>
#include <memory>
#include <string>

#include "common/periodic_thread.h"
#include "gateway/route_table.h"
#include "http/client.h"
#include "http/metrics.h"

namespace hydra::gateway {

struct ProbeOptions {
  int64_t interval_ms = 5000;  // 0: no active probes
  int64_t timeout_ms = 2000;   // connect and answer, per probe
  int fail_after = 2;          // failed probes in a row before the upstream leaves
};

class HealthProber {
 public:
  HealthProber(RouteTable& routes, http::Metrics& metrics, ProbeOptions opts);
  ~HealthProber();
  HealthProber(const HealthProber&) = delete;
  HealthProber& operator=(const HealthProber&) = delete;

  void start();
  void stop();
  // One round over the current routes; what the background thread runs.
  void probe_all();

 private:
  bool probe(const std::string& base_url, const std::string& api_key);
  std::unique_ptr<http::Client> make_client() const;

  RouteTable& routes_;
  http::Metrics& metrics_;
  ProbeOptions opts_;
  // One client for every probe: building one loads the system's trust
  // store, too costly to repeat every round.
  std::unique_ptr<http::Client> client_;
  PeriodicThread thread_;
};

}  // namespace hydra::gateway
