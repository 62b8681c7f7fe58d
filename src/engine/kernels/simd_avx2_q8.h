#pragma once
// The AVX2 int8 products over a packed Q8_0 or Q4_0 matrix (q8_packed.h). Only
// included by the AVX2 kernel file; everything is in an unnamed namespace
// so it is compiled with that file's flags alone. The order of the float
// operations is the one fixed in kernels.h.
//
// A packed quad is 64 bytes: rows 0-7 of the group in its low 32 bytes,
// rows 8-15 in its high 32, 4 weights per row, stored w ^ 0x80. A ymm half
// quad times an activation quad broadcast is one maddubs (|w| by x with w's
// sign, so pairs stay below 2^15) and one madd to int32: the 8 lanes are
// the 8 rows' partial sums already, so no transposition is needed. A Q4_0
// vector's halves likewise hold rows 0-7 and 8-15; a mask and a shift make
// the unsigned nibbles maddubs multiplies as they are.
#include <immintrin.h>

#include "engine/kernels/int8_dot_ref.h"
#include "engine/kernels/kernels.h"
#include "engine/kernels/q8_packed.h"
#include "engine/kernels/simd_kquant.h"

namespace hydra::engine {
namespace {

// Tokens of one pass over a group: per token its int8 row and block scales.
constexpr int kAvx2PackedTokens = 4;
// How far ahead of the block being multiplied its lines are prefetched (a
// hardware prefetcher alone lets the cores wait on memory).
constexpr int64_t kAvx2PackedAhead = 4096;

struct Avx2PackedActs {
  const int8_t* qs[kAvx2PackedTokens];
  const float* d[kAvx2PackedTokens];
  const int32_t* sum128[kAvx2PackedTokens];
};

// Half h of quad q of a packed block column, as maddubs's unsigned operand
// and the sign to give the activations (Q8_0: |w| and w; Q4_0: the nibbles
// q in 0..15, with no sign to apply).
struct HalfQuad {
  __m256i u, sign;
};
template <bool kQ4>
inline HalfQuad load_half_quad(const uint8_t* block, int64_t q, int64_t h) {
  if constexpr (kQ4) {
    const __m256i v =
        _mm256_load_si256(reinterpret_cast<const __m256i*>(block + (q % 4) * 64 + h * 32));
    const __m256i low = _mm256_set1_epi8(0x0F);
    return {q < 4 ? _mm256_and_si256(v, low) : _mm256_and_si256(_mm256_srli_epi16(v, 4), low),
            _mm256_setzero_si256()};
  } else {
    const __m256i w = _mm256_xor_si256(
        _mm256_load_si256(reinterpret_cast<const __m256i*>(block + q * 64 + h * 32)),
        _mm256_set1_epi8(static_cast<char>(0x80)));
    return {_mm256_abs_epi8(w), w};
  }
}

// Half quads h0 .. h0+H-1 of one group (rows 8*h .. 8*h+7 each) times T
// tokens: out[t * H + h] lane l is row 8*(h0+h)+l's product. Per block the
// half quads are loaded (and made |w| or unpacked) once, then every token's
// quads are broadcast against them; then the float step of kernels.h, after
// taking Q4_0's + 8 out of its sums (8 times the block sum, sum128 / 16).
template <int T, int H, bool kQ4>
void q8_avx2_packed_group(const uint8_t* group, int64_t nb, int64_t h0, const Avx2PackedActs& x,
                          __m256* out) {
  constexpr int64_t kBytes = kQ4 ? kQ4PackBlockBytes : kQ8PackBlockBytes;
  const uint8_t* blocks = group + q8_pack_scale_bytes(nb);
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc[T * H];
#pragma GCC unroll 8
  for (int i = 0; i < T * H; ++i) acc[i] = _mm256_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* block = blocks + b * kBytes;
    if (h0 == 0) {
      const char* ahead = reinterpret_cast<const char*>(block) + kAvx2PackedAhead;
#pragma GCC unroll 8
      for (int64_t l = 0; l < kBytes / 64; ++l) _mm_prefetch(ahead + l * 64, _MM_HINT_T0);
    }
    __m256i sum[T * H];
#pragma GCC unroll 8
    for (int i = 0; i < T * H; ++i) sum[i] = _mm256_setzero_si256();
#pragma GCC unroll 8
    for (int64_t q = 0; q < 8; ++q) {
#pragma GCC unroll 2
      for (int64_t h = 0; h < H; ++h) {
        const HalfQuad w = load_half_quad<kQ4>(block, q, h0 + h);
#pragma GCC unroll 4
        for (int64_t t = 0; t < T; ++t) {
          int32_t quad;
          __builtin_memcpy(&quad, x.qs[t] + b * kQK + q * 4, 4);
          __m256i xv = _mm256_set1_epi32(quad);
          if constexpr (!kQ4) xv = _mm256_sign_epi8(xv, w.sign);
          sum[t * H + h] = _mm256_add_epi32(sum[t * H + h],
                                            _mm256_madd_epi16(_mm256_maddubs_epi16(w.u, xv), ones));
        }
      }
    }
#pragma GCC unroll 2
    for (int64_t h = 0; h < H; ++h) {
      const __m256 dw = _mm256_cvtph_ps(
          _mm_load_si128(reinterpret_cast<const __m128i*>(group + b * 32 + (h0 + h) * 16)));
#pragma GCC unroll 4
      for (int64_t t = 0; t < T; ++t) {
        __m256i is = sum[t * H + h];
        if constexpr (kQ4) is = _mm256_sub_epi32(is, _mm256_set1_epi32(x.sum128[t][b] >> 4));
        const __m256 scale = _mm256_mul_ps(dw, _mm256_set1_ps(x.d[t][b]));
        acc[t * H + h] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(is), scale, acc[t * H + h]);
      }
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < T * H; ++i) out[i] = acc[i];
}

using Avx2PackedGroupFn = void (*)(const uint8_t*, int64_t, int64_t, const Avx2PackedActs&,
                                   __m256*);

// Up to 2 tokens take both halves of the group in one pass (the stream is
// read once, in order); more tokens take one half at a time, so the
// accumulators fit the 16 registers.
template <bool kQ4>
constexpr Avx2PackedGroupFn kAvx2PackedGroupFns[] = {
    q8_avx2_packed_group<1, 2, kQ4>, q8_avx2_packed_group<2, 2, kQ4>,
    q8_avx2_packed_group<3, 1, kQ4>, q8_avx2_packed_group<4, 1, kQ4>};

// Rows [lo, hi) of a group's 8-row half from `sums` (8 lanes) into y.
inline void store_half(__m256 sums, float* y, int64_t lo, int64_t hi) {
  if (lo == 0 && hi == 8) {
    _mm256_storeu_ps(y, sums);
    return;
  }
  alignas(32) float out[8];
  _mm256_store_ps(out, sums);
  for (int64_t i = lo; i < hi; ++i) y[i] = out[i];
}

// The instructions of simd_kquant.h on ymm: 8 rows a vector (a group in
// two halves), the unsigned byte products by maddubs (pairs of Q6_K's
// 6-bit weights stay below 2^15) and madd.
struct V256 {
  using I = __m256i;
  using F = __m256;
  static constexpr int64_t kLanes = 8;
  static I load(const uint8_t* p) { return _mm256_load_si256(reinterpret_cast<const __m256i*>(p)); }
  static I set1_8(char v) { return _mm256_set1_epi8(v); }
  static I set1_32(int32_t v) { return _mm256_set1_epi32(v); }
  static I zero() { return _mm256_setzero_si256(); }
  static I and_(I a, I b) { return _mm256_and_si256(a, b); }
  static I or_(I a, I b) { return _mm256_or_si256(a, b); }
  template <int N>
  static I srli16(I a) {
    return _mm256_srli_epi16(a, N);
  }
  template <int N>
  static I slli16(I a) {
    return _mm256_slli_epi16(a, N);
  }
  static I add32(I a, I b) { return _mm256_add_epi32(a, b); }
  static I sub32(I a, I b) { return _mm256_sub_epi32(a, b); }
  static I mullo32(I a, I b) { return _mm256_mullo_epi32(a, b); }
  static I udot(I acc, I u, I x) {
    return _mm256_add_epi32(acc,
                            _mm256_madd_epi16(_mm256_maddubs_epi16(u, x), _mm256_set1_epi16(1)));
  }
  static I bcast_quad(const int8_t* p) {
    int32_t quad;
    __builtin_memcpy(&quad, p, 4);
    return _mm256_set1_epi32(quad);
  }
  static I u8_to_32(const uint8_t* p) {
    return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  }
  static I i8_to_32(const uint8_t* p) {
    return _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  }
  static F zero_ps() { return _mm256_setzero_ps(); }
  static F set1_ps(float v) { return _mm256_set1_ps(v); }
  static F cvt(I a) { return _mm256_cvtepi32_ps(a); }
  static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  static F fma(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
  static F fnma(F a, F b, F c) { return _mm256_fnmadd_ps(a, b, c); }
  static F f16(const uint8_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
};

// Rows [r0, r1) of a packed matrix times tokens [t0, t1) of x: y[(t - t0) *
// ldy + r]. Group after group, so a group read from memory serves every
// token from cache.
void q8_avx2_packed_product(const MatrixRef& w, const Q8Acts& x, int64_t t0, int64_t t1, float* y,
                            int64_t ldy, int64_t r0, int64_t r1) {
  if (w.type != GgmlType::kQ8_0 && w.type != GgmlType::kQ4_0) {
    k_packed_product<V256, kAvx2PackedTokens>(w, x, t0, t1, y, ldy, r0, r1, store_half);
    return;
  }
  const int64_t nb = w.cols / kQK;
  __m256 sums[2 * kAvx2PackedTokens];
  for (int64_t g = r0 / kQ8PackRows; g * kQ8PackRows < r1; ++g) {
    const auto [first, lo, hi] = q8_group_rows(g, r0, r1);
    const uint8_t* group = q8_pack_group(w, first);
    for (int64_t c = t0; c < t1; c += kAvx2PackedTokens) {
      const int64_t n = t1 - c < kAvx2PackedTokens ? t1 - c : kAvx2PackedTokens;
      Avx2PackedActs pa{};
      for (int64_t i = 0; i < n; ++i) {
        pa.qs[i] = x.qs + (c + i) * x.cols;
        pa.d[i] = x.d + (c + i) * nb;
        pa.sum128[i] = x.sum128 + (c + i) * nb;
      }
      const int64_t halves = n <= 2 ? 2 : 1;
      for (int64_t h0 = 0; h0 < 2; h0 += halves) {
        if (h0 * 8 >= hi || (h0 + halves) * 8 <= lo) continue;
        const Avx2PackedGroupFn fn = w.type == GgmlType::kQ4_0 ? kAvx2PackedGroupFns<true>[n - 1]
                                                               : kAvx2PackedGroupFns<false>[n - 1];
        fn(group, nb, h0, pa, sums);
        for (int64_t i = 0; i < n; ++i) {
          for (int64_t h = 0; h < halves; ++h) {
            const int64_t base = (h0 + h) * 8;
            const int64_t a = lo > base ? lo - base : 0, e = hi - base < 8 ? hi - base : 8;
            if (a < e)
              store_half(sums[i * halves + h], y + (c - t0 + i) * ldy + first + base, a, e);
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace hydra::engine
