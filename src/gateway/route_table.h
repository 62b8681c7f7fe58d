#pragma once
// The gateway's routes: access name (`public/<id>`) -> upstream endpoints
// with their upstream model ids and decrypted keys. Built from the store's
// enabled MaaS models and rebuilt when they change: a poller compares the
// stored rows with the ones the table was built from, so an edit through
// any gateway or management process applies within one poll interval.
// Requests read an immutable snapshot; endpoint health lives in shared
// state that survives rebuilds.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/periodic_thread.h"
#include "common/published.h"
#include "common/secret_box.h"
#include "deploy/deployment.h"
#include "store/store.h"

namespace hydra::gateway {

// Health of one endpoint, shared by every snapshot that holds it: passive
// (failures of real requests) and active (health_prober.h).
struct EndpointHealth {
  std::atomic<int64_t> outstanding{0};
  std::atomic<int> consecutive_failures{0};
  std::atomic<int64_t> ejected_until_ms{0};
  std::atomic<int> probe_failures{0};      // failed probes in a row
  std::atomic<bool> probe_failing{false};  // out of rotation until a probe passes
};

struct Endpoint {
  std::string base_url;  // OpenAI base URL, e.g. https://api.example.com/v1
  std::string model;     // the upstream's model id
  std::string api_key;   // plaintext, "" when none
  int64_t weight = 0;
  bool continuous_usage = false;  // may be asked for cumulative usage on every stream event
  std::shared_ptr<EndpointHealth> health;
};

struct Route {
  std::string name;  // what clients send as `model`
  // A deployment's route serves only keys of its workspace; "" for any key.
  std::string workspace_id;
  std::string lb_policy;
  std::vector<Endpoint> endpoints;
  std::shared_ptr<std::atomic<uint64_t>> cursor;  // round-robin position
  int64_t created_at = 0;
};

using RouteMap = std::map<std::string, Route>;

class RouteTable {
 public:
  RouteTable(store::Store& st, const Config& cfg);
  ~RouteTable();
  RouteTable(const RouteTable&) = delete;
  RouteTable& operator=(const RouteTable&) = delete;

  std::shared_ptr<const RouteMap> snapshot() const;
  // Reloads from the store; true when the routes changed.
  bool refresh();
  // Refreshes every `interval_ms` on a background thread until stop().
  void start_polling(int64_t interval_ms);
  void stop();

 private:
  std::shared_ptr<EndpointHealth> health_for(const std::string& key);
  void add_deployment_route(RouteMap& routes, const deploy::DeploymentRoute& d);
  std::shared_ptr<std::atomic<uint64_t>> cursor_for(const std::string& route);

  store::Store& store_;
  LazySecretBox box_;
  mutable std::mutex mu_;
  Published<RouteMap> routes_;
  std::string signature_;
  std::map<std::string, std::shared_ptr<EndpointHealth>> health_;
  std::map<std::string, std::shared_ptr<std::atomic<uint64_t>>> cursors_;
  PeriodicThread poller_;
};

}  // namespace hydra::gateway
