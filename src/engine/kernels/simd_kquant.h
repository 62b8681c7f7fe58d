#pragma once
// The int8 products over packed Q4_K, Q6_K, Q5_0 and Q5_1 matrices
// (q8_packed.h), for any vector width: V supplies the instructions (AVX-512: 16 rows a
// vector; AVX2: 8, a group's rows in two halves). Only included by the SIMD
// kernel files, after their V; everything is in an unnamed namespace so
// each of them compiles its own copy with its own flags. The integer sums
// are exact and the float steps are the reference's (int8_dot_ref.h), in
// its order, so every table gives the same bits.
#include <cstdint>
#include <vector>

#include "engine/kernels/kernels.h"
#include "engine/kernels/q8_packed.h"

namespace hydra::engine {
namespace {

// Tokens of one pass: per token its int8 row, block scales, 128 times its
// block sums, (Q6_K) the sums of each block's first 16 values and (Q5_1,
// Q4_K) each block's sum times its scale.
constexpr int kKQuantTokens = 8;
struct KQuantActs {
  const int8_t* qs[kKQuantTokens];
  const float* d[kKQuantTokens];
  const int32_t* sum128[kKQuantTokens];
  const int32_t* half[kKQuantTokens];
  const float* sum_d[kKQuantTokens];
};

// How far ahead of the block being multiplied its lines are prefetched.
constexpr int64_t kKQuantAhead = 4096;

inline void prefetch_lines(const uint8_t* p, int64_t bytes) {
  for (int64_t l = 0; l < bytes; l += 64) {
    __builtin_prefetch(reinterpret_cast<const char*>(p) + kKQuantAhead + l, 0, 3);
  }
}

// The 8 quads of a block's unsigned weights (lanes from lane0): Q4_0's
// nibble layout, and for Q6_K the high bits of quad 4e + k in bits 2k, 2k+1
// of vector e, moved to bits 4 and 5 (16-bit shifts: the mask drops what
// crosses from the neighbouring byte).
template <class V, bool kQ6>
inline void unpack_block(const uint8_t* block, int64_t lane0, typename V::I* wq) {
  using I = typename V::I;
  const I low = V::set1_8(0x0F);
#pragma GCC unroll 4
  for (int c = 0; c < 4; ++c) {
    const I v = V::load(block + c * kQ8PackQuadBytes + lane0 * 4);
    wq[c] = V::and_(v, low);
    wq[c + 4] = V::and_(V::template srli16<4>(v), low);
  }
  if constexpr (kQ6) {
    const I bits45 = V::set1_8(0x30);
#pragma GCC unroll 2
    for (int e = 0; e < 2; ++e) {
      const I h = V::load(block + kQ4PackBlockBytes + e * kQ8PackQuadBytes + lane0 * 4);
      wq[4 * e + 0] = V::or_(wq[4 * e + 0], V::and_(V::template slli16<4>(h), bits45));
      wq[4 * e + 1] = V::or_(wq[4 * e + 1], V::and_(V::template slli16<2>(h), bits45));
      wq[4 * e + 2] = V::or_(wq[4 * e + 2], V::and_(h, bits45));
      wq[4 * e + 3] = V::or_(wq[4 * e + 3], V::and_(V::template srli16<2>(h), bits45));
    }
  }
}

// The exact int32 sums of quads [q0, q0 + 4) of token t's block b against
// wq (two chains, so the products run at their throughput).
template <class V>
inline typename V::I quad_sums(const typename V::I* wq, const int8_t* xq, int q0) {
  using I = typename V::I;
  I s0 = V::zero(), s1 = V::zero();
#pragma GCC unroll 4
  for (int q = q0; q < q0 + 4; q += 2) {
    s0 = V::udot(s0, wq[q], V::bcast_quad(xq + q * 4));
    s1 = V::udot(s1, wq[q + 1], V::bcast_quad(xq + (q + 1) * 4));
  }
  return V::add32(s0, s1);
}

// One group's rows from lane0 (V::kLanes of them) times T tokens; out[t]
// lane l is row lane0 + l's product.
template <class V, int T>
void q4_k_packed_group(const uint8_t* group, int64_t nb, int64_t lane0, const KQuantActs& x,
                       typename V::F* out) {
  using F = typename V::F;
  using I = typename V::I;
  F acc[T];
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) acc[t] = V::zero_ps();
  for (int64_t s = 0; s < nb / 8; ++s) {
    const uint8_t* super = group + s * kQ4KPackSuperBytes;
    if (lane0 == 0) prefetch_lines(super, kKPackHeaderBytes);
    const F d = V::f16(super + lane0 * 2), dmin = V::f16(super + kQ4KPackDmin + lane0 * 2);
    for (int64_t j = 0; j < 8; ++j) {
      const int64_t b = s * 8 + j;
      const uint8_t* block = super + kKPackHeaderBytes + j * kQ4PackBlockBytes;
      if (lane0 == 0) prefetch_lines(block, kQ4PackBlockBytes);
      I wq[8];
      unpack_block<V, false>(block, lane0, wq);
      const F ds = V::mul(d, V::cvt(V::u8_to_32(super + kQ4KPackScales + j * 16 + lane0)));
      const F dm = V::mul(dmin, V::cvt(V::u8_to_32(super + kQ4KPackMins + j * 16 + lane0)));
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
        const int8_t* xq = x.qs[t] + b * kQK;
        const I sum = V::add32(quad_sums<V>(wq, xq, 0), quad_sums<V>(wq, xq, 4));
        acc[t] = V::fma(V::cvt(sum), V::mul(ds, V::set1_ps(x.d[t][b])), acc[t]);
        acc[t] = V::fnma(dm, V::set1_ps(x.sum_d[t][b]), acc[t]);
      }
    }
  }
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) out[t] = acc[t];
}

template <class V, int T>
void q6_k_packed_group(const uint8_t* group, int64_t nb, int64_t lane0, const KQuantActs& x,
                       typename V::F* out) {
  using F = typename V::F;
  using I = typename V::I;
  F acc[T];
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) acc[t] = V::zero_ps();
  for (int64_t s = 0; s < nb / 8; ++s) {
    const uint8_t* super = group + s * kQ6KPackSuperBytes;
    if (lane0 == 0) prefetch_lines(super, kKPackHeaderBytes);
    const F d = V::f16(super + lane0 * 2);
    for (int64_t j = 0; j < 8; ++j) {
      const int64_t b = s * 8 + j;
      const uint8_t* block = super + kKPackHeaderBytes + j * kQ6PackBlockBytes;
      if (lane0 == 0) prefetch_lines(block, kQ6PackBlockBytes);
      I wq[8];
      unpack_block<V, true>(block, lane0, wq);
      const I sca = V::i8_to_32(super + kQ6KPackScales + (2 * j) * 16 + lane0);
      const I scb = V::i8_to_32(super + kQ6KPackScales + (2 * j + 1) * 16 + lane0);
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
        const int8_t* xq = x.qs[t] + b * kQK;
        const int32_t half = x.half[t][b], rest = (x.sum128[t][b] >> 7) - half;
        // sum of (q - 32) * x over each half: sum q * x - 32 * sum x.
        const I a = V::sub32(quad_sums<V>(wq, xq, 0), V::set1_32(32 * half));
        const I c = V::sub32(quad_sums<V>(wq, xq, 4), V::set1_32(32 * rest));
        const I sum = V::add32(V::mullo32(sca, a), V::mullo32(scb, c));
        acc[t] = V::fma(V::cvt(sum), V::mul(d, V::set1_ps(x.d[t][b])), acc[t]);
      }
    }
  }
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) out[t] = acc[t];
}

// Quad k's fifth bits (bit k of each byte of h) moved to bit 4.
template <class V, int K>
inline typename V::I fifth_bit(typename V::I h) {
  const typename V::I bit4 = V::set1_8(0x10);
  if constexpr (K <= 4) {
    return V::and_(V::template slli16<4 - K>(h), bit4);
  } else {
    return V::and_(V::template srli16<K - 4>(h), bit4);
  }
}

// One group's rows from lane0 times T tokens, Q5_0 (kQ51 false: the
// integers' + 16 is taken out as 16 times the block sum, sum128 / 8) or Q5_1
// (its offsets m times each block's sum times its scale).
template <class V, int T, bool kQ51>
void q5_packed_group(const uint8_t* group, int64_t nb, int64_t lane0, const KQuantActs& x,
                     typename V::F* out) {
  using F = typename V::F;
  using I = typename V::I;
  const uint8_t* offsets = group + q8_pack_scale_bytes(nb);
  const uint8_t* blocks = group + (kQ51 ? 2 : 1) * q8_pack_scale_bytes(nb);
  F acc[T];
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) acc[t] = V::zero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* block = blocks + b * kQ5PackBlockBytes;
    if (lane0 == 0) prefetch_lines(block, kQ5PackBlockBytes);
    I wq[8];
    unpack_block<V, false>(block, lane0, wq);
    const I h = V::load(block + kQ4PackBlockBytes + lane0 * 4);
    wq[0] = V::or_(wq[0], fifth_bit<V, 0>(h));
    wq[1] = V::or_(wq[1], fifth_bit<V, 1>(h));
    wq[2] = V::or_(wq[2], fifth_bit<V, 2>(h));
    wq[3] = V::or_(wq[3], fifth_bit<V, 3>(h));
    wq[4] = V::or_(wq[4], fifth_bit<V, 4>(h));
    wq[5] = V::or_(wq[5], fifth_bit<V, 5>(h));
    wq[6] = V::or_(wq[6], fifth_bit<V, 6>(h));
    wq[7] = V::or_(wq[7], fifth_bit<V, 7>(h));
    const F d = V::f16(group + b * 32 + lane0 * 2);
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) {
      const int8_t* xq = x.qs[t] + b * kQK;
      I sum = V::add32(quad_sums<V>(wq, xq, 0), quad_sums<V>(wq, xq, 4));
      if constexpr (!kQ51) sum = V::sub32(sum, V::set1_32(x.sum128[t][b] >> 3));
      acc[t] = V::fma(V::cvt(sum), V::mul(d, V::set1_ps(x.d[t][b])), acc[t]);
      if constexpr (kQ51) {
        acc[t] = V::fma(V::f16(offsets + b * 32 + lane0 * 2), V::set1_ps(x.sum_d[t][b]), acc[t]);
      }
    }
  }
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) out[t] = acc[t];
}

template <class V>
using KQuantGroupFn = void (*)(const uint8_t*, int64_t, int64_t, const KQuantActs&, typename V::F*);

template <class V, int... T>
struct KQuantGroupFns {
  static constexpr KQuantGroupFn<V> q4_k[] = {q4_k_packed_group<V, T>...};
  static constexpr KQuantGroupFn<V> q6_k[] = {q6_k_packed_group<V, T>...};
  static constexpr KQuantGroupFn<V> q5_0[] = {q5_packed_group<V, T, false>...};
  static constexpr KQuantGroupFn<V> q5_1[] = {q5_packed_group<V, T, true>...};

  static KQuantGroupFn<V> pick(GgmlType type, int64_t tokens) {
    switch (type) {
      case GgmlType::kQ6_K:
        return q6_k[tokens - 1];
      case GgmlType::kQ5_0:
        return q5_0[tokens - 1];
      case GgmlType::kQ5_1:
        return q5_1[tokens - 1];
      default:
        return q4_k[tokens - 1];
    }
  }
};

// For tokens [t0, t1), nb blocks a token: the sums of each block's first
// 16 values (Q6_K's half-block sums) into `half`, or each block's sum times
// its scale (Q5_1's and Q4_K's, as int8_dot_ref.h's sum_times_d) into
// `sum_d`.
inline void token_sums(GgmlType type, const Q8Acts& x, int64_t t0, int64_t t1, int32_t* half,
                       float* sum_d) {
  const int64_t nb = x.cols / kQK;
  for (int64_t t = t0; t < t1; ++t) {
    for (int64_t b = 0; b < nb; ++b) {
      const int64_t at = (t - t0) * nb + b;
      if (type == GgmlType::kQ6_K) {
        const int8_t* q = x.qs + t * x.cols + b * kQK;
        int32_t s = 0;
        for (int i = 0; i < 16; ++i) s += q[i];
        half[at] = s;
      } else {
        sum_d[at] = static_cast<float>(x.sum128[t * nb + b] >> 7) * x.d[t * nb + b];
      }
    }
  }
}

// Rows [r0, r1) of a packed Q4_K, Q6_K, Q5_0 or Q5_1 matrix times tokens
// [t0, t1) of x:
// y[(t - t0) * ldy + r]. Group after group, kTokens at a time (at most
// kKQuantTokens), lanes from 0 in steps of V::kLanes; `store(v, y, lo, hi)`
// writes lanes [lo, hi) of v to y[lo .. hi).
template <class V, int kTokens, class Store>
void k_packed_product(const MatrixRef& w, const Q8Acts& x, int64_t t0, int64_t t1, float* y,
                      int64_t ldy, int64_t r0, int64_t r1, Store store) {
  using Fns = KQuantGroupFns<V, 1, 2, 3, 4, 5, 6, 7, 8>;
  const int64_t nb = w.cols / kQK;
  thread_local std::vector<int32_t> half;
  thread_local std::vector<float> sum_d;
  half.resize(static_cast<size_t>((t1 - t0) * nb));
  sum_d.resize(static_cast<size_t>((t1 - t0) * nb));
  token_sums(w.type, x, t0, t1, half.data(), sum_d.data());
  typename V::F acc[kKQuantTokens];
  for (int64_t g = r0 / kQ8PackRows; g * kQ8PackRows < r1; ++g) {
    const auto [first, lo, hi] = q8_group_rows(g, r0, r1);
    const uint8_t* group = q8_pack_group(w, first);
    for (int64_t c = t0; c < t1; c += kTokens) {
      const int64_t n = t1 - c < kTokens ? t1 - c : kTokens;
      KQuantActs pa{};
      for (int64_t i = 0; i < n; ++i) {
        pa.qs[i] = x.qs + (c + i) * x.cols;
        pa.d[i] = x.d + (c + i) * nb;
        pa.sum128[i] = x.sum128 + (c + i) * nb;
        pa.half[i] = half.data() + (c - t0 + i) * nb;
        pa.sum_d[i] = sum_d.data() + (c - t0 + i) * nb;
      }
      const KQuantGroupFn<V> fn = Fns::pick(w.type, n);
      for (int64_t lane0 = 0; lane0 < kQ8PackRows; lane0 += V::kLanes) {
        if (lane0 >= hi || lane0 + V::kLanes <= lo) continue;
        fn(group, nb, lane0, pa, acc);
        const int64_t a = lo > lane0 ? lo - lane0 : 0;
        const int64_t e = hi - lane0 < V::kLanes ? hi - lane0 : V::kLanes;
        for (int64_t i = 0; i < n; ++i) store(acc[i], y + (c - t0 + i) * ldy + first + lane0, a, e);
      }
    }
  }
}

}  // namespace
}  // namespace hydra::engine
