#pragma once
// Whether a cluster can hold what deployments ask for: CPU cores and
// memory per replica (from the deployment template) against the cluster's
// cores and memory, and GPUs per replica (the template's gpuCount on each
// of the nodes a replica spans) against the GPUs the cluster reported,
// minus what other running deployments of the same cluster already asked
// for.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "deploy/deployment.h"
#include "store/store.h"

namespace hydra::deploy {

struct Gpu {
  std::string name;  // as nvidia-smi names it, e.g. "NVIDIA A100-SXM4-80GB"
  double memory_gb = 0;
};

struct Capacity {
  double cpu = 0;     // cores
  double memory = 0;  // GB
  // The GPUs deployments may use; nullopt when GPUs are not counted (an
  // agent that has not reported yet, or a Kubernetes cluster whose agent
  // reports none because the scheduler places GPU pods).
  std::optional<std::vector<Gpu>> gpus;
};

// CPU cores and memory of this machine (no GPUs: see host_capacity).
Capacity machine_capacity();

// What one replica of a deployment takes in GPUs, from its template.
struct GpuRequest {
  std::string type = "cpu";  // the template's gpuType
  int64_t per_replica = 0;   // gpuCount per node x nodes per replica
};
// No GPU without a template (or when the template is gone).
GpuRequest gpu_request(store::Store& st, const Deployment& d);

// Whether a GPU named `gpu_name` is one of `gpu_type`: every word of the
// type (split at '-' and '_') must be a word of the name, ignoring case,
// except the generic words gpu, vgpu and nvidia (every reported GPU comes
// from nvidia-smi). "gpu" and "nvidia-gpu" match any GPU, "nvidia-a100"
// matches "NVIDIA A100-SXM4-80GB" but not "NVIDIA A10", "metax-gpu" no
// NVIDIA GPU.
bool gpu_type_matches(std::string_view gpu_type, std::string_view gpu_name);

// PARAM_ERROR (param "replicas") naming the resource when `d` with
// `replicas` replicas would not fit on `cap` next to the other running
// deployments of its cluster.
void check_fits(store::Store& st, const Deployment& d, int64_t replicas, const Capacity& cap);

}  // namespace hydra::deploy
