#pragma once
// The control plane's side of cluster liveness, run by `hydra serve`:
// registers cluster `local`, heartbeats it on behalf of the in-process
// agent (capacity of this machine), and marks clusters whose remote agent
// went silent as unreachable.
#include <atomic>
#include <cstdint>
#include <thread>

#include "deploy/cluster.h"
#include "store/store.h"

namespace hydra::deploy {

struct ClusterMonitorOptions {
  int64_t tick_ms = 1000;
  int64_t local_heartbeat_ms = 2000;
  int64_t capacity_refresh_ms = 60000;  // nvidia-smi is not free: capacity is re-read rarely
};

class ClusterMonitor {
 public:
  ClusterMonitor(store::Store& st, ClusterMonitorOptions opts = {});
  ~ClusterMonitor();
  ClusterMonitor(const ClusterMonitor&) = delete;
  ClusterMonitor& operator=(const ClusterMonitor&) = delete;

  // Registers `local` and heartbeats it once, then runs on a thread.
  void start();
  void stop();
  // One tick at `now`: the local heartbeat when due, then the sweep.
  void tick(int64_t now);

 private:
  store::Store& store_;
  ClusterMonitorOptions opts_;
  ClusterCapacity capacity_;
  int64_t capacity_at_ = -1;
  int64_t local_beat_at_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace hydra::deploy
