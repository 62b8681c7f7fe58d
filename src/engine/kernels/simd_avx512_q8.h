#pragma once
// The AVX-512 int8 products with Q8_0 and Q4_0 weights, shared by the
// AVX-512 file (maddubs + madd) and the AVX512_VNNI file (vpdpbusd): the
// Q8_0 matrix-vector product over the file's rows, and the products of up
// to 8 tokens over a packed matrix (q8_packed.h). Only
// included by files built with AVX-512 flags; everything is in an unnamed
// namespace so each of them gets its own copy, compiled with its own flags.
// The order of the float operations is the one fixed in kernels.h.
#include <immintrin.h>

#include "engine/kernels/int8_dot_ref.h"
#include "engine/kernels/kernels.h"
#include "engine/kernels/q8_packed.h"
#include "engine/kernels/simd_kquant.h"

namespace hydra::engine {
namespace {

// Two blocks (row a's in the low half, row b's in the high half) against the
// activation block x2 (repeated in both halves): 16 exact int32 lanes, 8 per
// row. |w| times x with w's sign, as the unsigned-by-signed products want.
template <class Dot>
inline __m512i pair_dot(const int8_t* wa, const int8_t* wb, __m512i x2) {
  const __m512i wv = _mm512_inserti64x4(
      _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(wa))),
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wb)), 1);
  const __mmask64 neg = _mm512_movepi8_mask(wv);
  const __m512i sx = _mm512_mask_sub_epi8(x2, neg, _mm512_setzero_si512(), x2);
  return Dot::apply(_mm512_abs_epi8(wv), sx);
}

inline __m512i sum_pairs(__m512i a, __m512i b) {
  return _mm512_add_epi32(_mm512_unpacklo_epi32(a, b), _mm512_unpackhi_epi32(a, b));
}

inline __m512i sum_quads(__m512i a, __m512i b) {
  return _mm512_add_epi32(_mm512_unpacklo_epi64(a, b), _mm512_unpackhi_epi64(a, b));
}

// z[j] holds row j's 8 lanes low and row j+8's high; lane j of the result
// is row j's total (a transpose-and-add tree, all integer, so exact).
inline __m512i sum_lanes16(const __m512i* z) {
  const __m512i b0 = sum_quads(sum_pairs(z[0], z[1]), sum_pairs(z[2], z[3]));
  const __m512i b1 = sum_quads(sum_pairs(z[4], z[5]), sum_pairs(z[6], z[7]));
  // 128-bit lanes of b0: rows 0-3 (low and high partials), rows 8-11 (same).
  const __m512i c =
      _mm512_add_epi32(_mm512_shuffle_i32x4(b0, b1, 0x88), _mm512_shuffle_i32x4(b0, b1, 0xDD));
  return _mm512_shuffle_i32x4(c, c, 0xD8);
}

// Rows r .. r+n-1 (n <= 16; missing lanes repeat the last row), one lane
// each. The next 16 rows, up to `r_end`, are prefetched a few lines per block.
template <class Dot>
void q8_rows16(const MatrixRef& w, const int8_t* xq, const float* xd, float* y, int64_t r,
               int64_t n, int64_t r_end) {
  const int8_t* rows[16];
  alignas(64) int32_t offsets[16];
  const auto* base = reinterpret_cast<const int8_t*>(w.row(r));
  for (int64_t j = 0; j < 16; ++j) {
    rows[j] = reinterpret_cast<const int8_t*>(w.row(r + (j < n ? j : n - 1)));
    offsets[j] = static_cast<int32_t>(rows[j] - base);
  }
  const __m512i vindex = _mm512_load_si512(offsets);
  const int64_t nb = w.cols / kQK;
  const char* ahead = reinterpret_cast<const char*>(w.row(r + 16));
  // Only this task's rows: the rows after it are another task's, quite
  // possibly another thread's.
  const char* ahead_end = reinterpret_cast<const char*>(w.row(r_end));
  const int64_t lines = (16 * static_cast<int64_t>(w.row_bytes) / 64 + nb - 1) / nb;
  __m512 acc = _mm512_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    for (int64_t l = 0; l < lines && ahead < ahead_end; ++l, ahead += 64) {
      _mm_prefetch(ahead, _MM_HINT_T0);
    }
    const int64_t off = b * static_cast<int64_t>(sizeof(BlockQ8_0));
    const __m512i x2 =
        _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + b * kQK)));
    __m512i z[8];
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) z[j] = pair_dot<Dot>(rows[j] + off + 2, rows[j + 8] + off + 2, x2);
    const __m256i dw = _mm512_cvtepi32_epi16(_mm512_i32gather_epi32(vindex, base + off, 1));
    const __m512 scale = _mm512_mul_ps(_mm512_cvtph_ps(dw), _mm512_set1_ps(xd[b]));
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum_lanes16(z)), scale, acc);
  }
  _mm512_mask_storeu_ps(y + r, static_cast<__mmask16>((1u << n) - 1u), acc);
}

// Tokens of a product over a packed matrix: per token its int8 row, block
// scales and, where Dot::kOffset, 128 times its block sums.
constexpr int kPackedTokens = 8;
// How far ahead of the block being multiplied its lines are prefetched. The
// hardware prefetcher alone left a core waiting on memory whenever the
// arithmetic per byte grew (8 tokens streamed at half the speed of one);
// 1, 2 and 4 KB ahead measured 16, 22 and 28 GB/s for 8 tokens here, more
// gained nothing.
constexpr int64_t kPackedAhead = 4096;
struct PackedActs {
  const int8_t* qs[kPackedTokens];
  const float* d[kPackedTokens];
  const int32_t* sum[kPackedTokens];
};

// Block column b of a packed group's weights as the 8 vectors of its quads
// (q8_packed.h): Q8_0's stored w + 128; Q4_0's nibbles split into q in
// 0..15 (quad c from the low nibbles of vector c, quad c + 4 from the high).
// Their lines kPackedAhead bytes on are prefetched.
template <bool kQ4>
inline void load_packed_block(const uint8_t* blocks, int64_t b, __m512i* wq) {
  constexpr int64_t kBytes = kQ4 ? kQ4PackBlockBytes : kQ8PackBlockBytes;
  const uint8_t* block = blocks + b * kBytes;
  const char* ahead = reinterpret_cast<const char*>(block) + kPackedAhead;
#pragma GCC unroll 8
  for (int l = 0; l < kBytes / 64; ++l) _mm_prefetch(ahead + l * 64, _MM_HINT_T0);
  if constexpr (kQ4) {
    const __m512i low = _mm512_set1_epi8(0x0F);
#pragma GCC unroll 4
    for (int c = 0; c < 4; ++c) {
      const __m512i v = _mm512_load_si512(block + c * 64);
      wq[c] = _mm512_and_si512(v, low);
      wq[c + 4] = _mm512_and_si512(_mm512_srli_epi16(v, 4), low);
    }
  } else {
#pragma GCC unroll 8
    for (int q = 0; q < 8; ++q) wq[q] = _mm512_load_si512(block + q * 64);
  }
}

// One group of 16 packed rows times T tokens: out[t] lane l is row l's
// product. Per block column the 8 weight quads are loaded once and every
// token's quads are broadcast against them (integer sums, exact in any
// order); then the float step of kernels.h. Q8_0's sums lose the + 128 of
// the stored weights where Dot multiplies them as stored (Dot::kOffset);
// Q4_0's the + 8 of its nibbles: 8 times the block sum, sum128 / 16.
template <class Dot, int T, bool kQ4>
void q8_packed_group(const uint8_t* group, int64_t nb, const PackedActs& x, __m512* out) {
  constexpr int kChains = T >= 4 ? 1 : 2;
  const uint8_t* blocks = group + q8_pack_scale_bytes(nb);
  __m512 acc[T];
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    __m512i wq[8];
    load_packed_block<kQ4>(blocks, b, wq);
    const __m512 dw =
        _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(group + b * 32)));
    // Quad by quad across the tokens, so each token's integer sum (two for
    // few tokens) is a chain whose steps are T instructions apart: the
    // products run at their throughput, not their latency. Each activation
    // quad is broadcast straight from memory (a broadcast from a general
    // register costs a slow move on some CPUs).
    __m512i sum[kChains][T];
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) {
      sum[0][t] = _mm512_setzero_si512();
      sum[kChains - 1][t] = _mm512_setzero_si512();
    }
#pragma GCC unroll 8
    for (int q = 0; q < 8; ++q) {
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
        const __m512i xq = _mm512_broadcastd_epi32(_mm_loadu_si32(x.qs[t] + b * kQK + q * 4));
        __m512i& s = sum[q % kChains][t];
        if constexpr (kQ4) {
          s = Dot::unsigned_dot(s, wq[q], xq);
        } else {
          s = Dot::packed(s, wq[q], xq);
        }
      }
    }
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) {
      __m512i is = sum[0][t];
      if constexpr (kChains == 2) is = _mm512_add_epi32(is, sum[1][t]);
      if constexpr (kQ4) {
        is = _mm512_sub_epi32(is, _mm512_set1_epi32(x.sum[t][b] >> 4));
      } else if constexpr (Dot::kOffset) {
        is = _mm512_sub_epi32(is, _mm512_set1_epi32(x.sum[t][b]));
      }
      const __m512 scale = _mm512_mul_ps(dw, _mm512_set1_ps(x.d[t][b]));
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(is), scale, acc[t]);
    }
  }
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) out[t] = acc[t];
}

template <class Dot>
using PackedGroupFn = void (*)(const uint8_t*, int64_t, const PackedActs&, __m512*);

template <class Dot, int... T>
struct PackedGroupFns {
  static constexpr PackedGroupFn<Dot> q8[] = {q8_packed_group<Dot, T, false>...};
  static constexpr PackedGroupFn<Dot> q4[] = {q8_packed_group<Dot, T, true>...};
};

// The group kernel for 1 to kPackedTokens tokens of a packed type.
template <class Dot>
PackedGroupFn<Dot> packed_group_fn(GgmlType type, int64_t tokens) {
  using Fns = PackedGroupFns<Dot, 1, 2, 3, 4, 5, 6, 7, 8>;
  return type == GgmlType::kQ4_0 ? Fns::q4[tokens - 1] : Fns::q8[tokens - 1];
}

// The instructions of simd_kquant.h on zmm: 16 rows a vector, the unsigned
// byte products by Dot.
template <class Dot>
struct V512 {
  using I = __m512i;
  using F = __m512;
  static constexpr int64_t kLanes = 16;
  static I load(const uint8_t* p) { return _mm512_load_si512(p); }
  static I set1_8(char v) { return _mm512_set1_epi8(v); }
  static I set1_32(int32_t v) { return _mm512_set1_epi32(v); }
  static I zero() { return _mm512_setzero_si512(); }
  static I and_(I a, I b) { return _mm512_and_si512(a, b); }
  static I or_(I a, I b) { return _mm512_or_si512(a, b); }
  template <int N>
  static I srli16(I a) {
    return _mm512_srli_epi16(a, N);
  }
  template <int N>
  static I slli16(I a) {
    return _mm512_slli_epi16(a, N);
  }
  static I add32(I a, I b) { return _mm512_add_epi32(a, b); }
  static I sub32(I a, I b) { return _mm512_sub_epi32(a, b); }
  static I mullo32(I a, I b) { return _mm512_mullo_epi32(a, b); }
  static I udot(I acc, I u, I x) { return Dot::unsigned_dot(acc, u, x); }
  static I bcast_quad(const int8_t* p) { return _mm512_broadcastd_epi32(_mm_loadu_si32(p)); }
  static I u8_to_32(const uint8_t* p) {
    return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static I i8_to_32(const uint8_t* p) {
    return _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static F zero_ps() { return _mm512_setzero_ps(); }
  static F set1_ps(float v) { return _mm512_set1_ps(v); }
  static F cvt(I a) { return _mm512_cvtepi32_ps(a); }
  static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F fma(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
  static F fnma(F a, F b, F c) { return _mm512_fnmadd_ps(a, b, c); }
  static F f16(const uint8_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
};

// Lanes [lo, hi) of v into y[lo .. hi).
inline void store_lanes(__m512 v, float* y, int64_t lo, int64_t hi) {
  _mm512_mask_storeu_ps(y, static_cast<__mmask16>(((1u << hi) - 1u) & ~((1u << lo) - 1u)), v);
}

// Rows [r0, r1) of a packed matrix times tokens [t0, t1) of x: y[(t - t0) *
// ldy + r]. Group after group, up to 8 tokens at a time, so a group read
// from memory serves every token from cache.
template <class Dot>
void q8_packed_product(const MatrixRef& w, const Q8Acts& x, int64_t t0, int64_t t1, float* y,
                       int64_t ldy, int64_t r0, int64_t r1) {
  if (w.type != GgmlType::kQ8_0 && w.type != GgmlType::kQ4_0) {
    k_packed_product<V512<Dot>, kPackedTokens>(w, x, t0, t1, y, ldy, r0, r1, store_lanes);
    return;
  }
  const int64_t nb = w.cols / kQK;
  __m512 acc[kPackedTokens];
  for (int64_t g = r0 / kQ8PackRows; g * kQ8PackRows < r1; ++g) {
    const auto [first, lo, hi] = q8_group_rows(g, r0, r1);
    const auto mask = static_cast<__mmask16>(((1u << hi) - 1u) & ~((1u << lo) - 1u));
    const uint8_t* group = q8_pack_group(w, first);
    for (int64_t c = t0; c < t1; c += kPackedTokens) {
      const int64_t n = t1 - c < kPackedTokens ? t1 - c : kPackedTokens;
      PackedActs pa{};
      for (int64_t i = 0; i < n; ++i) {
        pa.qs[i] = x.qs + (c + i) * x.cols;
        pa.d[i] = x.d + (c + i) * nb;
        pa.sum[i] = x.sum128 + (c + i) * nb;
      }
      packed_group_fn<Dot>(w.type, n)(group, nb, pa, acc);
      for (int64_t i = 0; i < n; ++i)
        _mm512_mask_storeu_ps(y + (c - t0 + i) * ldy + first, mask, acc[i]);
    }
  }
}

template <class Dot>
void q8_matvec(const MatrixRef& w, const Q8Acts& x, int64_t t, float* y, int64_t r0, int64_t r1) {
  if (w.packed != nullptr) {
    q8_packed_product<Dot>(w, x, t, t + 1, y, 0, r0, r1);
    return;
  }
  if (w.type != GgmlType::kQ8_0) {
    int8_ref::matvec(w, x, t, y, r0, r1);
    return;
  }
  const int64_t nb = w.cols / kQK;
  for (int64_t r = r0; r < r1; r += 16) {
    q8_rows16<Dot>(w, x.qs + t * x.cols, x.d + t * nb, y, r, r1 - r < 16 ? r1 - r : 16, r1);
  }
}

}  // namespace
}  // namespace hydra::engine
