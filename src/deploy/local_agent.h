#pragma once
// The local backend's controller (DESIGN.md §§5–6): level-triggered and
// idempotent. Each pass compares the deployments of cluster `local` with
// the replica processes it knows and acts on the difference: start missing
// replicas (rendered runtime template, free loopback port, own log file),
// probe readiness with GET /health, restart crashed ones with exponential
// backoff, stop surplus ones (SIGTERM, SIGKILL after a grace period), and
// write replica rows, deployment states and events.
//
// On start it adopts the replicas a previous server left running: a row's
// pid whose environment still carries the row's start token is kept, so a
// server restart neither duplicates nor orphans replicas. Stopping the
// agent leaves replicas running for the next one to adopt.
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "deploy/deployment.h"
#include "http/client.h"
#include "store/store.h"

namespace hydra::deploy {

struct LocalAgentOptions {
  std::string data_dir;  // logs under <data_dir>/deployments/<id>/
  std::string cluster = "local";
  int64_t tick_ms = 200;
  int64_t health_every_ms = 1000;  // probe of ready replicas
  int64_t grace_ms = 5000;         // SIGTERM to SIGKILL
  int64_t backoff_initial_ms = 200;
  int64_t backoff_max_ms = 30000;
  int unhealthy_after = 2;  // failed probes before a ready replica leaves the route
  // Where replicas listen (MODEL_HOST): loopback inside `hydra serve`; 0.0.0.0
  // for a remote agent whose replicas the gateway reaches over the network.
  std::string model_host = "127.0.0.1";
};

class LocalAgent {
 public:
  LocalAgent(store::Store& st, LocalAgentOptions opts);
  ~LocalAgent();
  LocalAgent(const LocalAgent&) = delete;
  LocalAgent& operator=(const LocalAgent&) = delete;

  // Called (on the agent thread) after a pass changed what the gateway routes.
  void on_routes_changed(std::function<void()> fn) { on_change_ = std::move(fn); }
  // Adopts surviving replicas, then reconciles on a thread until stop().
  void start();
  void stop();
  // One pass (start() runs adoption first); returns true when routes changed.
  bool reconcile_once();
  void adopt();

 private:
  struct Live;
  using Key = std::pair<std::string, int64_t>;

  bool reconcile_deployment(const Deployment& d, int64_t now);
  void ensure_replica(const Deployment& d, int64_t index, Live& l, int64_t now);
  void start_replica(const Deployment& d, int64_t index, Live& l, int64_t now);
  void probe(Live& l, const Deployment& d, int64_t index, int64_t now);
  void stop_replica(const Deployment& d, int64_t index, Live& l, const std::string& why);
  std::string aggregate_state(const Deployment& d, int64_t want, std::string* reason);
  void persist(const Deployment& d, int64_t index, const Live& l);
  std::string log_path(const Deployment& d, int64_t index) const;

  store::Store& store_;
  LocalAgentOptions opts_;
  http::Client client_;
  std::map<Key, std::unique_ptr<Live>> live_;
  std::map<std::string, std::string> last_state_;  // deployment id -> state|reason
  std::function<void()> on_change_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace hydra::deploy
