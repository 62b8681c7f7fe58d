#pragma once
// The int8 products every table reproduces bit for bit (kernels.h), over
// the file's rows: exact int32 block sums of the weights' integers times the
// activations' (q for Q8_0, q - 8 for Q4_0), then acc = fma(float(sum),
// d_w * d_x, acc) block after block from 0. The scalar table's products,
// and the SIMD tables' for a matrix without a packed copy where they have
// no kernel of their own. Header-only and static, like simd_common.h: each
// kernel file compiles its own copy with its own flags.
#include <cmath>
#include <cstdint>

#include "engine/format/ggml_types.h"
#include "engine/format/quant.h"
#include "engine/kernels/kernels.h"

namespace hydra::engine::int8_ref {

static inline int32_t block_sum(const BlockQ8_0& w, const int8_t* xq) {
  int32_t sum = 0;
  for (int i = 0; i < kQK; ++i) sum += int32_t{w.qs[i]} * xq[i];
  return sum;
}

static inline int32_t block_sum(const BlockQ4_0& w, const int8_t* xq) {
  int32_t sum = 0;
  for (int i = 0; i < kQK / 2; ++i) {
    sum += ((w.qs[i] & 0x0F) - 8) * xq[i] + ((w.qs[i] >> 4) - 8) * xq[i + kQK / 2];
  }
  return sum;
}

template <class Block>
float dot(const Block* w, const int8_t* xq, const float* xd, int64_t nb) {
  float acc = 0.0f;
  for (int64_t b = 0; b < nb; ++b) {
    acc = std::fma(static_cast<float>(block_sum(w[b], xq + b * kQK)), fp16_to_fp32(w[b].d) * xd[b],
                   acc);
  }
  return acc;
}

// Rows [r0, r1) of w (Q8_0 or Q4_0, the file's rows) times token t of x.
static inline void matvec(const MatrixRef& w, const Q8Acts& x, int64_t t, float* y, int64_t r0,
                          int64_t r1) {
  const int64_t nb = w.cols / kQK;
  const int8_t* xq = x.qs + t * x.cols;
  const float* xd = x.d + t * nb;
  for (int64_t r = r0; r < r1; ++r) {
    y[r] = w.type == GgmlType::kQ4_0
               ? dot(reinterpret_cast<const BlockQ4_0*>(w.row(r)), xq, xd, nb)
               : dot(reinterpret_cast<const BlockQ8_0*>(w.row(r)), xq, xd, nb);
  }
}

}  // namespace hydra::engine::int8_ref
