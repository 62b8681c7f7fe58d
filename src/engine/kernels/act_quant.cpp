#include "engine/kernels/act_quant.h"

#include <cmath>

namespace hydra::engine {

namespace {

// Round to nearest, ties to even, for |v| < 2^22: adding and subtracting
// 1.5 * 2^23 leaves v rounded in the default rounding mode (no libm call).
inline float round_even(float v) {
  constexpr float kMagic = 12582912.0f;
  return (v + kMagic) - kMagic;
}

void quantize_block(const float* x, int8_t* q, float* d, int32_t* sum128) {
  // Eight running maxima (max is exact in any order): short dependency
  // chains, and the compiler can keep them in one vector.
  float m[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int i = 0; i < kQK; i += 8) {
    for (int j = 0; j < 8; ++j) {
      const float a = std::fabs(x[i + j]);
      m[j] = a > m[j] ? a : m[j];
    }
  }
  float amax = 0.0f;
  for (float v : m) amax = v > amax ? v : amax;
  const float scale = amax / 127.0f;
  const float inv = scale != 0.0f ? 1.0f / scale : 0.0f;
  int32_t sum = 0;
  for (int i = 0; i < kQK; ++i) {
    // |x * inv| <= 127 up to rounding, so the clamp only guards that.
    float v = round_even(x[i] * inv);
    v = v > 127.0f ? 127.0f : v < -127.0f ? -127.0f : v;
    q[i] = static_cast<int8_t>(v);
    sum += q[i];
  }
  *d = scale;
  *sum128 = 128 * sum;
}

}  // namespace

void quantize_activations(const float* x, int64_t ldx, int64_t cols, int64_t r0, int64_t r1,
                          int8_t* qs, float* d, int32_t* sum128) {
  const int64_t nb = cols / kQK;
  for (int64_t r = r0; r < r1; ++r) {
    for (int64_t b = 0; b < nb; ++b) {
      quantize_block(x + r * ldx + b * kQK, qs + r * cols + b * kQK, d + r * nb + b,
                     sum128 + r * nb + b);
    }
  }
}

Q8Acts Q8ActsBuffer::view(int64_t rows, int64_t cols) {
  const auto groups = static_cast<size_t>((rows + kQ8Group - 1) / kQ8Group);
  const auto nb = static_cast<size_t>(cols / kQK);
  qs.resize(static_cast<size_t>(rows * cols));
  d.resize(static_cast<size_t>(rows) * nb);
  sum128.resize(static_cast<size_t>(rows) * nb);
  packed.resize(groups * kQ8Group * static_cast<size_t>(cols));
  packed_d.resize(groups * kQ8Group * nb);
  packed_sum.resize(groups * kQ8Group * nb);
  return Q8Acts{rows,          cols,          qs.data(),       d.data(),
                sum128.data(), packed.data(), packed_d.data(), packed_sum.data()};
}

}  // namespace hydra::engine
