#pragma once
// The Kubernetes backend's controller: level-triggered like the local one,
// over the same store (the agent's mirror of its cluster's deployments).
// Each pass renders every deployment's objects and server-side applies
// those that changed; deleted deployments have their objects removed and
// their rows purged. Two watches (pods, BaizeAI Datasets) keep a view of
// what runs; pods become replica rows (one per pod, leaders only for a
// LeaderWorkerSet) and the deployment's state follows them:
//
//   Dataset not READY            -> Downloading (FAILED -> Failed)
//   pod Pending / ContainerCreating / not yet Ready -> Starting
//   pod Ready                    -> Running (endpoint http://<pod IP>:8000/v1)
//   CrashLoopBackOff, ErrImagePull, ImagePullBackOff, Failed -> Failed
//   Unschedulable                -> Pending
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "deploy/deployment.h"
#include "deploy/k8s_client.h"
#include "deploy/k8s_render.h"
#include "store/store.h"

namespace hydra::deploy {

struct KubeAgentOptions {
  std::string cluster;
  KubeConnection connection;
  std::string field_manager = "hydra";
  int64_t tick_ms = 1000;
  int watch_timeout_s = 60;
  std::vector<ImageRule> image_rules;
  // GPUs and parallelism of a deployment (from its template); default: one node, no GPU.
  std::function<KubePlacement(const std::string& deployment_id)> placement;
};

// What a pod says about its replica, reduced from the pod object.
struct PodView {
  std::string deployment_id;
  std::string name;
  std::string ip;
  std::string state;  // a replica state
  std::string reason;
  bool ready = false;
  bool serving = true;  // false for LeaderWorkerSet workers
  int64_t restarts = 0;
  std::string created;  // creationTimestamp, for a stable replica order
};
PodView pod_view(const boost::json::value& pod);

class KubeAgent {
 public:
  KubeAgent(store::Store& st, KubeAgentOptions opts);
  ~KubeAgent();
  KubeAgent(const KubeAgent&) = delete;
  KubeAgent& operator=(const KubeAgent&) = delete;

  void on_routes_changed(std::function<void()> fn) { on_change_ = std::move(fn); }
  // Starts the watches and the reconcile loop.
  void start();
  void stop();
  // One pass; true when routes changed.
  bool reconcile_once();
  // One list-and-watch round of pods, then of datasets (for tests; start()
  // runs them in loops).
  void watch_pods_once();
  void watch_datasets_once();

 private:
  struct DatasetView {
    std::string phase;
    std::string claim;
  };
  bool reconcile_deployment(const Deployment& d);
  void remove_objects(const Deployment& d);
  void apply_changed(const std::vector<KubeObject>& objects);
  bool write_replicas(const Deployment& d, std::vector<PodView> pods);
  std::string aggregate_state(const Deployment& d, const std::vector<PodView>& pods,
                              std::string* reason);
  void watch_loop(bool pods);
  void list_and_watch(const std::string& collection, bool pods);

  store::Store& store_;
  KubeAgentOptions opts_;
  KubeClient client_;
  std::mutex mu_;                                  // guards pods_, datasets_
  std::map<std::string, PodView> pods_;            // by pod name/namespace
  std::map<std::string, DatasetView> datasets_;    // by deployment id
  std::map<std::string, std::string> applied_;     // object path -> last applied body
  std::map<std::string, std::string> last_state_;  // deployment id -> state|reason
  std::function<void()> on_change_;
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;
};

}  // namespace hydra::deploy
