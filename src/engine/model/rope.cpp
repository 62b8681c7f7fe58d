#include "engine/model/rope.h"

#include <cmath>

namespace hydra::engine {

RopeParams rope_params(const ModelConfig& c) {
  RopeParams p;
  p.head_dim = c.head_dim;
  p.freq_base = c.rope_theta;
  if (c.rope_scaling.type == "linear" && c.rope_scaling.factor > 0) {
    p.linear_scale = c.rope_scaling.factor;
  }
  return p;
}

void rope_angles(const RopeParams& p, int64_t pos, float* cos_out, float* sin_out) {
  const int64_t half = p.head_dim / 2;
  const double t = static_cast<double>(pos) / p.linear_scale;
  for (int64_t k = 0; k < half; ++k) {
    const double inv_freq =
        std::pow(static_cast<double>(p.freq_base), -2.0 * k / static_cast<double>(p.head_dim));
    cos_out[k] = static_cast<float>(std::cos(t * inv_freq));
    sin_out[k] = static_cast<float>(std::sin(t * inv_freq));
  }
}

void rope_neox(float* x, int64_t n_heads, int64_t head_dim, const float* cos, const float* sin) {
  const int64_t half = head_dim / 2;
  for (int64_t h = 0; h < n_heads; ++h) {
    float* v = x + h * head_dim;
    for (int64_t k = 0; k < half; ++k) {
      const float a = v[k], b = v[k + half];
      v[k] = a * cos[k] - b * sin[k];
      v[k + half] = a * sin[k] + b * cos[k];
    }
  }
}

void rope_interleaved(float* x, int64_t n_heads, int64_t head_dim, const float* cos,
                      const float* sin) {
  const int64_t half = head_dim / 2;
  for (int64_t h = 0; h < n_heads; ++h) {
    float* v = x + h * head_dim;
    for (int64_t k = 0; k < half; ++k) {
      const float a = v[2 * k], b = v[2 * k + 1];
      v[2 * k] = a * cos[k] - b * sin[k];
      v[2 * k + 1] = a * sin[k] + b * cos[k];
    }
  }
}

void deinterleave_heads(float* x, int64_t n_heads, int64_t head_dim, std::vector<float>& scratch) {
  const int64_t half = head_dim / 2;
  scratch.resize(static_cast<size_t>(head_dim));
  for (int64_t h = 0; h < n_heads; ++h) {
    float* v = x + h * head_dim;
    for (int64_t k = 0; k < half; ++k) {
      scratch[k] = v[2 * k];
      scratch[k + half] = v[2 * k + 1];
    }
    for (int64_t i = 0; i < head_dim; ++i) v[i] = scratch[i];
  }
}

}  // namespace hydra::engine
