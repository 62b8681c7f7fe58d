#include "deploy/capacity.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "common/error.h"

namespace hydra::deploy {

Capacity machine_capacity() {
  Capacity c;
  c.cpu = static_cast<double>(sysconf(_SC_NPROCESSORS_ONLN));
  std::ifstream f("/proc/meminfo");
  std::string key;
  double kb = 0;
  std::string unit;
  while (f >> key >> kb >> unit) {
    if (key == "MemTotal:") {
      c.memory = kb / (1024.0 * 1024.0);
      break;
    }
  }
  return c;
}

void check_fits(store::Store& st, const Deployment& d, int64_t replicas, const Capacity& cap) {
  if (d.cpu <= 0 && d.memory <= 0) return;
  double cpu = d.cpu * static_cast<double>(replicas);
  double memory = d.memory * static_cast<double>(replicas);
  DeploymentQuery q;
  q.cluster = d.cluster;
  q.limit = 100000;
  for (const auto& other : list_deployments(st, q).items) {
    if (other.id == d.id || other.desired != desired::kRunning) continue;
    cpu += other.cpu * static_cast<double>(other.replicas);
    memory += other.memory * static_cast<double>(other.replicas);
  }
  auto fmt = [](double v) {
    std::ostringstream o;
    o << v;
    return o.str();
  };
  if (cpu > cap.cpu) {
    throw_param("insufficient cpu on cluster '" + d.cluster + "': " + fmt(cpu) +
                    " cores requested in all, " + fmt(cap.cpu) + " available",
                "replicas");
  }
  if (memory > cap.memory) {
    throw_param("insufficient memory on cluster '" + d.cluster + "': " + fmt(memory) +
                    " GB requested in all, " + fmt(cap.memory) + " GB available",
                "replicas");
  }
}

}  // namespace hydra::deploy
