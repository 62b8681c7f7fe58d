#pragma once
// The AVX-512 int8 matrix-vector product with Q8_0 weights, shared by the
// AVX-512 file (maddubs + madd) and the AVX512_VNNI file (vpdpbusd). Only
// included by files built with AVX-512 flags; everything is in an unnamed
// namespace so each of them gets its own copy, compiled with its own flags.
// The order of the float operations is the one fixed in kernels.h.
#include <immintrin.h>

#include "engine/kernels/kernels.h"
#include "engine/kernels/q8_scales.h"

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
  // The scales from the matrix's table where it has one (one load), else
  // gathered from the blocks.
  const uint16_t* scales =
      w.q8_scales != nullptr && r % kQ8ScaleRows == 0 ? q8_scales_at(w, r, 0) : nullptr;
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
    const __m256i dw = scales != nullptr
                           ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(scales + b * 16))
                           : _mm512_cvtepi32_epi16(_mm512_i32gather_epi32(vindex, base + off, 1));
    const __m512 scale = _mm512_mul_ps(_mm512_cvtph_ps(dw), _mm512_set1_ps(xd[b]));
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum_lanes16(z)), scale, acc);
  }
  _mm512_mask_storeu_ps(y + r, static_cast<__mmask16>((1u << n) - 1u), acc);
}

template <class Dot>
void q8_matvec(const MatrixRef& w, const Q8Acts& x, int64_t t, float* y, int64_t r0, int64_t r1) {
  const int64_t nb = w.cols / kQK;
  for (int64_t r = r0; r < r1; r += 16) {
    q8_rows16<Dot>(w, x.qs + t * x.cols, x.d + t * nb, y, r, r1 - r < 16 ? r1 - r : 16, r1);
  }
}

}  // namespace
}  // namespace hydra::engine
