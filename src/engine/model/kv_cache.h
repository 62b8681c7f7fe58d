#pragma once
// Keys and values of one sequence, per layer and position: the plain
// per-sequence cache (a paged cache shared between sequences comes later).
#include <cstdint>
#include <vector>

#include "engine/model/model.h"

namespace hydra::engine {

struct KvCache {
  int64_t n_layers = 0;
  int64_t n_ctx = 0;        // positions it can hold
  int64_t kv_dim = 0;       // n_head_kv * head_dim
  int64_t n_past = 0;       // positions filled
  std::vector<float> k, v;  // [layer][pos][kv_dim]

  KvCache() = default;
  KvCache(const Model& model, int64_t n_ctx);

  float* k_at(int64_t layer, int64_t pos) { return k.data() + (layer * n_ctx + pos) * kv_dim; }
  float* v_at(int64_t layer, int64_t pos) { return v.data() + (layer * n_ctx + pos) * kv_dim; }
  // Forgets positions from `pos` on (e.g. to reuse a shared prompt prefix).
  void truncate(int64_t pos);
};

}  // namespace hydra::engine
