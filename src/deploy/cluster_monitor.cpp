#include "deploy/cluster_monitor.h"

#include <chrono>

#include "common/clock.h"
#include "common/log.h"
#include "deploy/host_capacity.h"

namespace hydra::deploy {

ClusterMonitor::ClusterMonitor(store::Store& st, ClusterMonitorOptions opts)
    : store_(st), opts_(opts) {}

ClusterMonitor::~ClusterMonitor() {
  stop();
}

void ClusterMonitor::tick(int64_t now) {
  if (capacity_at_ < 0 || now - capacity_at_ >= opts_.capacity_refresh_ms) {
    capacity_ = host_capacity();
    capacity_at_ = now;
  }
  if (local_beat_at_ < 0 || now - local_beat_at_ >= opts_.local_heartbeat_ms) {
    AgentInfo self{"", "", "local", opts_.local_heartbeat_ms};
    record_heartbeat(store_, kLocalCluster, self, capacity_);
    local_beat_at_ = now;
  }
  for (const auto& name : mark_silent_clusters(store_, now)) {
    spdlog::warn("cluster {}: no heartbeat from its agent; marked unreachable", name);
  }
}

void ClusterMonitor::start() {
  ensure_local_cluster(store_);
  tick(now_ms());
  thread_ = std::thread([this] {
    while (!stopping_) {
      for (int64_t waited = 0; waited < opts_.tick_ms && !stopping_; waited += 50) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (stopping_) break;
      try {
        tick(now_ms());
      } catch (const std::exception& e) {
        spdlog::warn("cluster monitor: {}", e.what());
      }
    }
  });
}

void ClusterMonitor::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

}  // namespace hydra::deploy
