#pragma once
// The element-wise pieces of a transformer layer, on plain float arrays.
#include <cstdint>

namespace hydra::engine {

// out = x / sqrt(mean(x^2) + eps) * w   (out may alias x)
void rms_norm(const float* x, const float* w, float* out, int64_t n, float eps);
// out = (x - mean) / sqrt(var + eps) * w + b   (out may alias x)
void layer_norm(const float* x, const float* w, const float* b, float* out, int64_t n, float eps);
void add_in_place(float* x, const float* y, int64_t n);
// x = softmax(x), numerically stable.
void softmax_in_place(float* x, int64_t n);
// Exact GELU, 0.5 x (1 + erf(x / sqrt 2)), as BERT checkpoints define it.
float gelu(float x);

}  // namespace hydra::engine
