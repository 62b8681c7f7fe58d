#pragma once
// Rotary position embedding. Pair k (0 <= k < head_dim/2) turns by
// angle = (pos / linear_scale) * base^(-2k / head_dim).
#include <cstdint>
#include <vector>

#include "engine/model/model.h"

namespace hydra::engine {

struct RopeParams {
  int64_t head_dim = 0;
  float freq_base = 10000.0f;
  float linear_scale = 1.0f;  // positions are divided by this ("linear" scaling)
};

RopeParams rope_params(const ModelConfig& config);

// Cosines and sines of every pair at one position (head_dim/2 each).
void rope_angles(const RopeParams& p, int64_t pos, float* cos_out, float* sin_out);
// Rotates n_heads heads of head_dim values: pairs (k, k + head_dim/2).
void rope_neox(float* x, int64_t n_heads, int64_t head_dim, const float* cos, const float* sin);
// Rotates pairs (2k, 2k + 1).
void rope_interleaved(float* x, int64_t n_heads, int64_t head_dim, const float* cos,
                      const float* sin);
// Reorders each head from interleaved pairs (2k, 2k+1) to halves (k,
// k + head_dim/2). rope_neox after this equals rope_interleaved before it.
void deinterleave_heads(float* x, int64_t n_heads, int64_t head_dim, std::vector<float>& scratch);

}  // namespace hydra::engine
