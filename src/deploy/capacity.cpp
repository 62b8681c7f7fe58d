#include "deploy/capacity.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "catalog/deployment_template.h"
#include "common/error.h"

namespace hydra::deploy {
namespace {

std::string fmt(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

// Lower-case words of `s`, split at anything but letters and digits.
std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::string w;
  for (char ch : s) {
    bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    if (alnum) {
      w += static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    } else if (!w.empty()) {
      out.push_back(std::move(w));
      w.clear();
    }
  }
  if (!w.empty()) out.push_back(std::move(w));
  return out;
}

// GPUs asked for by a set of deployments, by GPU type.
using Demand = std::map<std::string, int64_t>;

// Refuses when the GPUs asked for by some types, `mine` among them, exceed
// the reported GPUs that any of those types may use (Hall's condition:
// with each GPU used once, the demand fits exactly when no such group of
// types asks for more than it can reach).
void check_gpus(const std::string& cluster, const std::string& mine, const Demand& demand,
                const std::vector<Gpu>& gpus) {
  std::vector<std::string> types{mine};
  for (const auto& [type, n] : demand) {
    if (type != mine) types.push_back(type);
  }
  // A cluster's deployments use a few GPU types; past a dozen the rest are
  // left out of the check rather than trying 2^n groups.
  constexpr size_t kMaxTypes = 12;
  std::vector<uint32_t> reach(gpus.size(), 0);  // bit t: types[t] may use this GPU
  for (size_t g = 0; g < gpus.size(); ++g) {
    for (size_t t = 0; t < types.size() && t < kMaxTypes; ++t) {
      if (gpu_type_matches(types[t], gpus[g].name)) reach[g] |= 1u << t;
    }
  }
  size_t k = std::min(types.size(), kMaxTypes);
  for (uint32_t group = 1; group < (1u << k); group += 2) {  // odd: `mine` is bit 0
    int64_t asked = 0;
    for (size_t t = 0; t < k; ++t) {
      if (group & (1u << t)) asked += demand.at(types[t]);
    }
    int64_t available = 0;
    for (uint32_t r : reach) available += (r & group) ? 1 : 0;
    if (asked <= available) continue;
    // Named only when every type of the group restricts which GPUs it uses.
    std::string of;
    for (size_t t = 0; t < k; ++t) {
      if (!(group & (1u << t))) continue;
      if (gpu_type_matches(types[t], "")) {  // any GPU
        of.clear();
        break;
      }
      of += (of.empty() ? "" : ", ") + ("'" + types[t] + "'");
    }
    throw_param("insufficient gpu on cluster '" + cluster + "': " + std::to_string(asked) +
                    " requested in all, " + std::to_string(available) + " available" +
                    (of.empty() ? "" : " of gpu type " + of),
                "replicas");
  }
}

}  // namespace

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

GpuRequest gpu_request(store::Store& st, const Deployment& d) {
  GpuRequest r;
  if (d.template_id.empty()) return r;
  std::optional<catalog::DeploymentTemplate> t;
  st.transact([&](store::Session& s) { t = catalog::find_deployment_template(s, d.template_id); });
  if (!t || t->resources.gpu_count <= 0) return r;
  r.type = t->resources.gpu_type;
  // Each of the nodes of a replica (a LeaderWorkerSet group on Kubernetes)
  // is a pod asking for gpuCount GPUs.
  r.per_replica = t->resources.gpu_count * std::max<int64_t>(1, t->distributed.nodes);
  return r;
}

bool gpu_type_matches(std::string_view gpu_type, std::string_view gpu_name) {
  std::vector<std::string> name = words(gpu_name);
  for (const std::string& w : words(gpu_type)) {
    if (w == "gpu" || w == "vgpu" || w == "nvidia") continue;
    if (std::find(name.begin(), name.end(), w) == name.end()) return false;
  }
  return true;
}

void check_fits(store::Store& st, const Deployment& d, int64_t replicas, const Capacity& cap) {
  GpuRequest mine = cap.gpus ? gpu_request(st, d) : GpuRequest{};
  bool gpus = mine.per_replica > 0 && replicas > 0;
  bool cpu_or_memory = d.cpu > 0 || d.memory > 0;
  if (!cpu_or_memory && !gpus) return;
  double cpu = d.cpu * static_cast<double>(replicas);
  double memory = d.memory * static_cast<double>(replicas);
  Demand demand;
  std::map<std::string, GpuRequest> by_template;  // templates are shared: read each once
  if (gpus) demand[mine.type] = mine.per_replica * replicas;
  DeploymentQuery q;
  q.cluster = d.cluster;
  q.limit = 100000;
  for (const auto& other : list_deployments(st, q).items) {
    if (other.id == d.id || other.desired != desired::kRunning) continue;
    cpu += other.cpu * static_cast<double>(other.replicas);
    memory += other.memory * static_cast<double>(other.replicas);
    if (gpus && !other.template_id.empty()) {
      auto it = by_template.find(other.template_id);
      if (it == by_template.end())
        it = by_template.emplace(other.template_id, gpu_request(st, other)).first;
      const GpuRequest& r = it->second;
      if (r.per_replica > 0) demand[r.type] += r.per_replica * other.replicas;
    }
  }
  if (cpu_or_memory && cpu > cap.cpu) {
    throw_param("insufficient cpu on cluster '" + d.cluster + "': " + fmt(cpu) +
                    " cores requested in all, " + fmt(cap.cpu) + " available",
                "replicas");
  }
  if (cpu_or_memory && memory > cap.memory) {
    throw_param("insufficient memory on cluster '" + d.cluster + "': " + fmt(memory) +
                    " GB requested in all, " + fmt(cap.memory) + " GB available",
                "replicas");
  }
  if (gpus) check_gpus(d.cluster, mine.type, demand, *cap.gpus);
}

}  // namespace hydra::deploy
