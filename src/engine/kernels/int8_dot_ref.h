#pragma once
// The int8 products every table reproduces bit for bit (kernels.h), over
// the file's rows. Per block of 32 weights (one activation block: int8 qs,
// scale dx, sum sx = sum128 / 128), from block 0 on, into one float acc:
//   Q8_0, Q4_0, Q5_0: acc = fma(float(sum), d * dx, acc), sum the exact
//     int32 sum of the weights' integers (q, q - 8, q - 16) times the
//     activations';
//   Q5_1 (x = d * q + m): acc = fma(float(sum q * x), d * dx, acc), then
//     acc = fma(m, float(sx) * dx, acc);
//   Q4_K (sub-block s of a super-block, 6-bit scale sc and min m):
//     acc = fma(float(sum q * x), (d * sc) * dx, acc), then
//     acc = fma(dmin * m, -(float(sx) * dx), acc)  (d * sc and dmin * m exact);
//   Q6_K (two sub-blocks of 16, scales sa and sb):
//     acc = fma(float(sa * suma + sb * sumb), d * dx, acc), suma and sumb the
//     exact sums of (q - 32) * x over each half.
// The scalar table's products, and the SIMD tables' for a matrix without a
// packed copy where they have no kernel of their own. Header-only and
// static, like simd_common.h: each kernel file compiles its own copy with
// its own flags.
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

static inline int32_t block_sum(const BlockQ5_0& w, const int8_t* xq) {
  int q[kQK];
  unpack_q5(w.qh, w.qs, q);
  int32_t sum = 0;
  for (int i = 0; i < kQK; ++i) sum += (q[i] - 16) * xq[i];
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

// Each activation block's sum times its scale, the factor of Q5_1's and
// Q4_K's offsets.
static inline float sum_times_d(int32_t sum128, float dx) {
  return static_cast<float>(sum128 >> 7) * dx;
}

static inline float dot_q5_1(const BlockQ5_1* w, const int8_t* xq, const float* xd,
                             const int32_t* sum128, int64_t nb) {
  float acc = 0.0f;
  for (int64_t b = 0; b < nb; ++b) {
    int q[kQK];
    unpack_q5(w[b].qh, w[b].qs, q);
    int32_t sum = 0;
    for (int i = 0; i < kQK; ++i) sum += q[i] * xq[b * kQK + i];
    acc = std::fma(static_cast<float>(sum), fp16_to_fp32(w[b].d) * xd[b], acc);
    acc = std::fma(fp16_to_fp32(w[b].m), sum_times_d(sum128[b], xd[b]), acc);
  }
  return acc;
}

// nb: blocks of 32 (8 per super-block).
static inline float dot_q4_k(const BlockQ4_K* w, const int8_t* xq, const float* xd,
                             const int32_t* sum128, int64_t nb) {
  float acc = 0.0f;
  for (int64_t b = 0; b < nb; ++b) {
    const BlockQ4_K& blk = w[b / 8];
    const int s = static_cast<int>(b % 8);
    int32_t sum = 0;
    for (int i = 0; i < kQK; ++i) sum += q4_k_quant(blk.qs, s * kQK + i) * xq[b * kQK + i];
    uint8_t sc, m;
    q4_k_scale_min(blk.scales, s, &sc, &m);
    const float ds = fp16_to_fp32(blk.d) * static_cast<float>(sc);
    const float dm = fp16_to_fp32(blk.dmin) * static_cast<float>(m);
    acc = std::fma(static_cast<float>(sum), ds * xd[b], acc);
    acc = std::fma(dm, -sum_times_d(sum128[b], xd[b]), acc);
  }
  return acc;
}

static inline float dot_q6_k(const BlockQ6_K* w, const int8_t* xq, const float* xd, int64_t nb) {
  float acc = 0.0f;
  for (int64_t b = 0; b < nb; ++b) {
    const BlockQ6_K& blk = w[b / 8];
    const int s = static_cast<int>(b % 8);
    int32_t half[2] = {0, 0};
    for (int i = 0; i < kQK; ++i) {
      half[i / 16] += (q6_k_quant(blk.ql, blk.qh, s * kQK + i) - 32) * xq[b * kQK + i];
    }
    const int8_t* scales = blk.scales + static_cast<ptrdiff_t>(2 * s);
    const int32_t sum = scales[0] * half[0] + scales[1] * half[1];
    acc = std::fma(static_cast<float>(sum), fp16_to_fp32(blk.d) * xd[b], acc);
  }
  return acc;
}

// Rows [r0, r1) of w (a type with int8 products, the file's rows) times
// token t of x.
static inline void matvec(const MatrixRef& w, const Q8Acts& x, int64_t t, float* y, int64_t r0,
                          int64_t r1) {
  const int64_t nb = w.cols / kQK;
  const int8_t* xq = x.qs + t * x.cols;
  const float* xd = x.d + t * nb;
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* row = w.row(r);
    switch (w.type) {
      case GgmlType::kQ4_0:
        y[r] = dot(reinterpret_cast<const BlockQ4_0*>(row), xq, xd, nb);
        break;
      case GgmlType::kQ5_0:
        y[r] = dot(reinterpret_cast<const BlockQ5_0*>(row), xq, xd, nb);
        break;
      case GgmlType::kQ5_1:
        y[r] = dot_q5_1(reinterpret_cast<const BlockQ5_1*>(row), xq, xd, x.sum128 + t * nb, nb);
        break;
      case GgmlType::kQ4_K:
        y[r] = dot_q4_k(reinterpret_cast<const BlockQ4_K*>(row), xq, xd, x.sum128 + t * nb, nb);
        break;
      case GgmlType::kQ6_K:
        y[r] = dot_q6_k(reinterpret_cast<const BlockQ6_K*>(row), xq, xd, nb);
        break;
      default:
        y[r] = dot(reinterpret_cast<const BlockQ8_0*>(row), xq, xd, nb);
    }
  }
}

}  // namespace hydra::engine::int8_ref
