#pragma once
// Whether the local machine can hold what deployments ask for: CPU cores
// and memory per replica (from the deployment template) against the
// machine's cores and memory, minus what other running deployments of the
// same cluster already asked for.
#include <string>

#include "deploy/deployment.h"
#include "store/store.h"

namespace hydra::deploy {

struct Capacity {
  double cpu = 0;     // cores
  double memory = 0;  // GB
};

Capacity machine_capacity();

// PARAM_ERROR naming the resource when `d` with `replicas` replicas would
// not fit on `cap` next to the other running deployments of its cluster.
void check_fits(store::Store& st, const Deployment& d, int64_t replicas, const Capacity& cap);

}  // namespace hydra::deploy
