#include "gateway/health_prober.h"

#include <map>
#include <vector>

#include "common/log.h"

namespace hydra::gateway {
namespace {

// The endpoints that share one upstream server, probed once for all.
struct Upstream {
  std::string api_key;
  std::vector<std::shared_ptr<EndpointHealth>> healths;
};

std::map<std::string, Upstream> upstreams_of(const RouteMap& routes) {
  std::map<std::string, Upstream> out;
  for (const auto& [name, route] : routes) {
    for (const auto& ep : route.endpoints) {
      Upstream& u = out[ep.base_url];
      if (u.api_key.empty()) u.api_key = ep.api_key;
      u.healths.push_back(ep.health);
    }
  }
  return out;
}

std::string models_url(std::string base_url) {
  while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
  return base_url + "/models";
}

}  // namespace

HealthProber::HealthProber(RouteTable& routes, http::Metrics& metrics, ProbeOptions opts)
    : routes_(routes), metrics_(metrics), opts_(opts) {
  metrics_.describe(
      "hydra_gateway_upstream_healthy", "gauge",
      "1 when the upstream's last active probes passed, 0 when it is out of rotation");
}

HealthProber::~HealthProber() {
  stop();
}

void HealthProber::start() {
  if (opts_.interval_ms <= 0) return;
  // Made here, not at the first probe: loading the system's CA certificates
  // takes about 50 ms of CPU, which at the first probe of a route would
  // land in the middle of serving requests.
  client_ = make_client();
  thread_.start(
      "gateway health probes", opts_.interval_ms, [this] { probe_all(); },
      /*run_at_start=*/true);
}

void HealthProber::stop() {
  thread_.stop();
}

void HealthProber::probe_all() {
  auto routes = routes_.snapshot();
  for (const auto& [base_url, up] : upstreams_of(*routes)) {
    bool ok = probe(base_url, up.api_key);
    for (const auto& h : up.healths) {
      if (ok) {
        h->probe_failures = 0;
        h->probe_failing = false;
      } else if (++h->probe_failures >= opts_.fail_after) {
        if (!h->probe_failing.exchange(true)) {
          spdlog::warn("gateway: upstream {} failed {} probes; out of rotation", base_url,
                       opts_.fail_after);
        }
      }
    }
    bool in_rotation = !up.healths.empty() && !up.healths.front()->probe_failing;
    metrics_.gauge_set("hydra_gateway_upstream_healthy", {{"upstream", base_url}},
                       in_rotation ? 1 : 0);
  }
}

std::unique_ptr<http::Client> HealthProber::make_client() const {
  http::ClientOptions o;
  o.connect_timeout_ms = opts_.timeout_ms;
  o.request_timeout_ms = opts_.timeout_ms;
  o.max_response_bytes = 1 << 20;
  return std::make_unique<http::Client>(o);
}

bool HealthProber::probe(const std::string& base_url, const std::string& api_key) {
  if (!client_) client_ = make_client();  // probe_all() called without start()
  http::Headers headers;
  if (!api_key.empty()) headers.emplace_back("Authorization", "Bearer " + api_key);
  try {
    return client_->get(models_url(base_url), headers).status < 500;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace hydra::gateway
