#pragma once
// What this machine offers to deployments, as an agent reports it: CPU
// cores and memory from the kernel, GPUs from `nvidia-smi` where it is
// installed (none otherwise).
#include <string>
#include <vector>

#include "deploy/cluster.h"

namespace hydra::deploy {

ClusterCapacity host_capacity();

// Parses `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits`
// (one GPU a line: "NVIDIA A100-SXM4-80GB, 81920", memory in MiB); lines
// that do not parse are skipped.
std::vector<Gpu> parse_nvidia_smi(const std::string& text);

}  // namespace hydra::deploy
