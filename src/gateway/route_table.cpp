#include "gateway/route_table.h"

#include "catalog/maas_model.h"
#include "common/log.h"
#include "deploy/deployment.h"

namespace hydra::gateway {
namespace {

// Everything about a model that the routes depend on. Sealed keys are part
// of it, so a changed upstream key is picked up too.
std::string signature_of(const std::vector<catalog::MaasModel>& models) {
  std::string sig;
  for (const auto& m : models) {
    sig += m.id + '\x1f' + m.lb_policy + '\x1f' + (m.enabled ? "1" : "0") + '\x1f' +
           std::to_string(m.updated_at);
    for (const auto& e : m.endpoints) {
      sig += '\x1e' + e.base_url + '\x1f' + e.model + '\x1f' + std::to_string(e.weight) + '\x1f' +
             e.sealed_key;
    }
    sig += '\x1d';
  }
  return sig;
}

}  // namespace

RouteTable::RouteTable(store::Store& st, const Config& cfg)
    : store_(st), box_(cfg), routes_(std::make_shared<RouteMap>()) {}

RouteTable::~RouteTable() {
  stop();
}

std::shared_ptr<const RouteMap> RouteTable::snapshot() const {
  return routes_.get();
}

std::shared_ptr<EndpointHealth> RouteTable::health_for(const std::string& key) {
  auto& h = health_[key];
  if (!h) h = std::make_shared<EndpointHealth>();
  return h;
}

std::shared_ptr<std::atomic<uint64_t>> RouteTable::cursor_for(const std::string& route) {
  auto& c = cursors_[route];
  if (!c) c = std::make_shared<std::atomic<uint64_t>>(0);
  return c;
}

// Deployments route to their ready replicas; a replica entering or leaving
// the rotation changes the signature.
std::string deployment_signature(const std::vector<deploy::DeploymentRoute>& routes) {
  std::string sig;
  for (const auto& d : routes) {
    sig += d.access_name + '\x1f' + d.workspace_id + '\x1f' + d.served_model_name;
    for (const auto& e : d.endpoints) sig += '\x1e' + e;
    sig += '\x1d';
  }
  return sig;
}

bool RouteTable::refresh() {
  auto models = catalog::list_maas_models(store_);
  auto deployments = deploy::list_deployment_routes(store_);
  std::string sig = signature_of(models) + '\x1c' + deployment_signature(deployments);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (sig == signature_) return false;
  }
  auto next = std::make_shared<RouteMap>();
  for (const auto& m : models) {
    if (!m.enabled) continue;
    Route r;
    r.name = m.access_name();
    r.lb_policy = m.lb_policy;
    r.created_at = m.created_at;
    for (size_t i = 0; i < m.endpoints.size(); ++i) {
      const auto& e = m.endpoints[i];
      Endpoint ep;
      ep.base_url = e.base_url;
      ep.model = e.model;
      ep.weight = e.weight;
      ep.continuous_usage = e.continuous_usage;
      if (!e.sealed_key.empty()) {
        try {
          ep.api_key = catalog::endpoint_api_key(m, i, box_.get());
        } catch (const std::exception& ex) {
          spdlog::error("MaaS model {}: cannot decrypt the key of {}: {}", m.id, e.base_url,
                        ex.what());
        }
      }
      std::lock_guard<std::mutex> lock(mu_);
      ep.health = health_for(r.name + '\x1f' + e.base_url + '\x1f' + e.model);
      r.endpoints.push_back(std::move(ep));
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      r.cursor = cursor_for(r.name);
    }
    next->emplace(r.name, std::move(r));
  }
  for (const auto& d : deployments) add_deployment_route(*next, d);
  std::lock_guard<std::mutex> lock(mu_);
  routes_.publish(std::move(next));
  signature_ = std::move(sig);
  return true;
}

void RouteTable::add_deployment_route(RouteMap& routes, const deploy::DeploymentRoute& d) {
  Route r;
  r.name = d.access_name;
  r.workspace_id = d.workspace_id;
  r.lb_policy = "round_robin";
  r.created_at = d.created_at;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& url : d.endpoints) {
    Endpoint ep;
    ep.base_url = url;
    ep.model = d.served_model_name;  // the engine's own model id
    ep.weight = 1;
    ep.health = health_for(r.name + '\x1f' + url + '\x1f' + ep.model);
    r.endpoints.push_back(std::move(ep));
  }
  r.cursor = cursor_for(r.name);
  routes.emplace(r.name, std::move(r));
}

void RouteTable::start_polling(int64_t interval_ms) {
  poller_.start("gateway routes not reloaded", interval_ms, [this] {
    if (refresh()) spdlog::info("gateway routes reloaded");
  });
}

void RouteTable::stop() {
  poller_.stop();
}

}  // namespace hydra::gateway
