#pragma once
// The int8 products over packed Q4_K and Q6_K matrices (q8_packed.h), for
// any vector width: V supplies the instructions (AVX-512: 16 rows a
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
// block sums and (Q6_K) the sums of each block's first 16 values.
constexpr int kKQuantTokens = 8;
struct KQuantActs {
  const int8_t* qs[kKQuantTokens];
  const float* d[kKQuantTokens];
  const int32_t* sum128[kKQuantTokens];
  const int32_t* half[kKQuantTokens];
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
        const F dx = V::set1_ps(x.d[t][b]);
        acc[t] = V::fma(V::cvt(sum), V::mul(ds, dx), acc[t]);
        const F neg_sx = V::set1_ps(static_cast<float>(-(x.sum128[t][b] >> 7)));
        acc[t] = V::fma(neg_sx, V::mul(dm, dx), acc[t]);
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

template <class V>
using KQuantGroupFn = void (*)(const uint8_t*, int64_t, int64_t, const KQuantActs&, typename V::F*);

template <class V, int... T>
struct KQuantGroupFns {
  static constexpr KQuantGroupFn<V> q4_k[] = {q4_k_packed_group<V, T>...};
  static constexpr KQuantGroupFn<V> q6_k[] = {q6_k_packed_group<V, T>...};
};

// Sums of each block's first 16 values of tokens [t0, t1), nb blocks a
// token, into `half` (Q6_K's half-block sums).
inline void half_sums(const Q8Acts& x, int64_t t0, int64_t t1, int32_t* half) {
  const int64_t nb = x.cols / kQK;
  for (int64_t t = t0; t < t1; ++t) {
    for (int64_t b = 0; b < nb; ++b) {
      const int8_t* q = x.qs + t * x.cols + b * kQK;
      int32_t s = 0;
      for (int i = 0; i < 16; ++i) s += q[i];
      half[(t - t0) * nb + b] = s;
    }
  }
}

// Rows [r0, r1) of a packed Q4_K or Q6_K matrix times tokens [t0, t1) of x:
// y[(t - t0) * ldy + r]. Group after group, kTokens at a time (at most
// kKQuantTokens), lanes from 0 in steps of V::kLanes; `store(v, y, lo, hi)`
// writes lanes [lo, hi) of v to y[lo .. hi).
template <class V, int kTokens, class Store>
void k_packed_product(const MatrixRef& w, const Q8Acts& x, int64_t t0, int64_t t1, float* y,
                      int64_t ldy, int64_t r0, int64_t r1, Store store) {
  using Fns = KQuantGroupFns<V, 1, 2, 3, 4, 5, 6, 7, 8>;
  const int64_t nb = w.cols / kQK;
  thread_local std::vector<int32_t> half;
  if (w.type == GgmlType::kQ6_K) {
    half.resize(static_cast<size_t>((t1 - t0) * nb));
    half_sums(x, t0, t1, half.data());
  }
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
        pa.half[i] = w.type == GgmlType::kQ6_K ? half.data() + (c - t0 + i) * nb : nullptr;
      }
      const KQuantGroupFn<V> fn = w.type == GgmlType::kQ6_K ? Fns::q6_k[n - 1] : Fns::q4_k[n - 1];
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
