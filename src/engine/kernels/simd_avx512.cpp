// AVX-512 kernels (F, BW, VL, DQ). This file alone is built with the
// AVX-512 flags and uses no library templates, so no AVX-512 code can leak
// into functions shared with other files.
#include <immintrin.h>

#include <cstring>
#include <vector>

#include "engine/kernels/kernels.h"
#include "engine/kernels/simd_avx512_q8.h"
#include "engine/kernels/simd_common.h"

namespace hydra::engine {
namespace {

using namespace simd_detail;

inline __mmask16 tail_mask(int64_t n) {
  return static_cast<__mmask16>((1u << n) - 1u);
}

inline __m512 load_f16(const uint16_t* p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

inline __m512 load_f16_tail(const uint16_t* p, int64_t n) {
  return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(tail_mask(n), p));
}

inline __m512 widen_bf16(__m256i h) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

inline __m512 load_bf16(const uint16_t* p) {
  return widen_bf16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

inline __m512 load_bf16_tail(const uint16_t* p, int64_t n) {
  return widen_bf16(_mm256_maskz_loadu_epi16(tail_mask(n), p));
}

inline __m512 load_i8(const int8_t* p) {
  return _mm512_cvtepi32_ps(
      _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
}

// The loads of one weight type, so one loop serves F32, F16 and BF16.
struct F32Load {
  const float* p;
  __m512 at(int64_t i) const { return _mm512_loadu_ps(p + i); }
  __m512 tail(int64_t i, int64_t n) const { return _mm512_maskz_loadu_ps(tail_mask(n), p + i); }
};
struct F16Load {
  const uint16_t* p;
  __m512 at(int64_t i) const { return load_f16(p + i); }
  __m512 tail(int64_t i, int64_t n) const { return load_f16_tail(p + i, n); }
};
struct BF16Load {
  const uint16_t* p;
  __m512 at(int64_t i) const { return load_bf16(p + i); }
  __m512 tail(int64_t i, int64_t n) const { return load_bf16_tail(p + i, n); }
};

struct Q8Load {
  const BlockQ8_0* p;
  __m512 at(int64_t i) const {
    const BlockQ8_0& blk = p[i / kQK];
    return _mm512_mul_ps(_mm512_set1_ps(_cvtsh_ss(blk.d)), load_i8(blk.qs + i % kQK));
  }
  __m512 tail(int64_t i, int64_t) const { return at(i); }  // rows are whole blocks
};

// Four sums of sixteen lanes each, as one vector of four. Every output of
// every kernel is reduced by this one tree, so a dot product gives the same
// bits whichever kernel computed it (a request decodes alike alone or in a
// batch, one token at a time or as a prompt). Always inlined: called, the
// tile's 24 accumulators went through the stack, and 512-token products of
// F16 weights ran 4% slower.
__attribute__((always_inline)) inline __m128 reduce4(__m512 a, __m512 b, __m512 c, __m512 d) {
  const __m256 ta = _mm256_add_ps(_mm512_castps512_ps256(a), _mm512_extractf32x8_ps(a, 1));
  const __m256 tb = _mm256_add_ps(_mm512_castps512_ps256(b), _mm512_extractf32x8_ps(b, 1));
  const __m256 tc = _mm256_add_ps(_mm512_castps512_ps256(c), _mm512_extractf32x8_ps(c, 1));
  const __m256 td = _mm256_add_ps(_mm512_castps512_ps256(d), _mm512_extractf32x8_ps(d, 1));
  const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(ta, tb), _mm256_hadd_ps(tc, td));
  return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

template <int NR>
__attribute__((always_inline)) inline void store_sums(const __m512* acc, float* y) {
  if constexpr (NR == 4) {
    _mm_storeu_ps(y, reduce4(acc[0], acc[1], acc[2], acc[3]));
  } else {
    const __m512 z = _mm512_setzero_ps();
    float out[4];
    _mm_storeu_ps(out, reduce4(acc[0], NR > 1 ? acc[1] : z, NR > 2 ? acc[2] : z, z));
    for (int j = 0; j < NR; ++j) y[j] = out[j];
  }
}

// NR rows against x: one accumulator per row, sixteen lanes wide, the
// same order of operations as the GEMM tile below.
template <int NR, class Load>
void matvec_tile(const Load* w, const float* x, int64_t n, __m512* acc) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 xv = _mm512_loadu_ps(x + i);
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) acc[j] = _mm512_fmadd_ps(w[j].at(i), xv, acc[j]);
  }
  if (i < n) {
    const __m512 xv = _mm512_maskz_loadu_ps(tail_mask(n - i), x + i);
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) acc[j] = _mm512_fmadd_ps(w[j].tail(i, n - i), xv, acc[j]);
  }
}

// While NR rows are multiplied, the NR rows after them are requested from
// memory a few cache lines per step, so the stream never waits on DRAM.
template <int NR, class Load>
void matvec_rows(const MatrixRef& m, const float* x, float* y, int64_t r) {
  Load w[NR];
  __m512 acc[NR];
  for (int j = 0; j < NR; ++j) {
    w[j] = Load{reinterpret_cast<decltype(w[j].p)>(m.row(r + j))};
    acc[j] = _mm512_setzero_ps();
  }
  const char* ahead = reinterpret_cast<const char*>(m.row(r + NR));
  const char* ahead_end =
      reinterpret_cast<const char*>(m.data) + m.row_bytes * static_cast<size_t>(m.rows);
  const int64_t steps = (m.cols + 15) / 16;
  const int64_t lines_per_step = (static_cast<int64_t>(NR * m.row_bytes) / 64 + steps - 1) / steps;
  const int64_t n = m.cols;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    for (int64_t l = 0; l < lines_per_step && ahead < ahead_end; ++l, ahead += 64) {
      _mm_prefetch(ahead, _MM_HINT_T0);
    }
    const __m512 xv = _mm512_loadu_ps(x + i);
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) acc[j] = _mm512_fmadd_ps(w[j].at(i), xv, acc[j]);
  }
  if (i < n) {
    const __m512 xv = _mm512_maskz_loadu_ps(tail_mask(n - i), x + i);
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) acc[j] = _mm512_fmadd_ps(w[j].tail(i, n - i), xv, acc[j]);
  }
  store_sums<NR>(acc, y + r);
}

// Q4_0, Q4_K (and Q6_K below) decoded 16 values at a time to the scalar
// reference's exact floats: nibble to int to float is exact, then the same
// multiply (and for Q4_K the same subtract).
inline __m512i bytes16(const uint8_t* p) {
  return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

void q4_0_to_f32(const BlockQ4_0* b, float* out, int64_t n) {
  const __m512i low4 = _mm512_set1_epi32(0x0f), eight = _mm512_set1_epi32(8);
  for (int64_t i = 0; i < n / kQK; ++i, out += kQK) {
    const __m512 d = _mm512_set1_ps(fp16_to_fp32(b[i].d));
    const __m512i q = bytes16(b[i].qs);
    const __m512i lo = _mm512_sub_epi32(_mm512_and_si512(q, low4), eight);
    const __m512i hi = _mm512_sub_epi32(_mm512_srli_epi32(q, 4), eight);
    _mm512_storeu_ps(out, _mm512_mul_ps(d, _mm512_cvtepi32_ps(lo)));
    _mm512_storeu_ps(out + 16, _mm512_mul_ps(d, _mm512_cvtepi32_ps(hi)));
  }
}

// Sub-blocks 2c and 2c + 1 of a Q4_K block share the 32 bytes of chunk c:
// the first in the low nibbles, the second in the high ones.
void q4_k_to_f32(const BlockQ4_K* b, float* out, int64_t n) {
  const __m512i low4 = _mm512_set1_epi32(0x0f);
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const float d = fp16_to_fp32(b[i].d), dmin = fp16_to_fp32(b[i].dmin);
    for (int j = 0; j < 8; ++j, out += 32) {
      uint8_t sc, m;
      q4_k_scale_min(b[i].scales, j, &sc, &m);
      const __m512 scale = _mm512_set1_ps(d * sc), offset = _mm512_set1_ps(dmin * m);
      const uint8_t* chunk = b[i].qs + (j / 2) * 32;
      for (int h = 0; h < 2; ++h) {
        const __m512i bytes = bytes16(chunk + h * 16);
        const __m512i q = j % 2 == 0 ? _mm512_and_si512(bytes, low4) : _mm512_srli_epi32(bytes, 4);
        _mm512_storeu_ps(out + h * 16,
                         _mm512_sub_ps(_mm512_mul_ps(scale, _mm512_cvtepi32_ps(q)), offset));
      }
    }
  }
}

// Q6_K: per 128 values, 64 bytes of low nibbles and 32 of high bit pairs;
// quarter k of the 128 takes its low nibbles from the bytes (k & 1) * 32
// on (the low half of the byte for k < 2) and its high bits from bits 2k of
// the 32 qh bytes. x = (d * scale) * (q - 32), as the reference computes it.
void q6_k_to_f32(const BlockQ6_K* b, float* out, int64_t n) {
  const __m512i low4 = _mm512_set1_epi32(0x0f), low2 = _mm512_set1_epi32(3),
                offset = _mm512_set1_epi32(32);
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const float d = fp16_to_fp32(b[i].d);
    for (int c = 0; c < 2; ++c) {
      for (int k = 0; k < 4; ++k) {
        for (int h = 0; h < 2; ++h, out += 16) {
          const __m512i lb = bytes16(b[i].ql + c * 64 + (k & 1) * 32 + h * 16);
          const __m512i lo = k < 2 ? _mm512_and_si512(lb, low4) : _mm512_srli_epi32(lb, 4);
          const __m512i hb = bytes16(b[i].qh + c * 32 + h * 16);
          const __m512i hi = _mm512_and_si512(_mm512_srli_epi32(hb, 2 * k), low2);
          const __m512i q = _mm512_sub_epi32(_mm512_or_si512(lo, _mm512_slli_epi32(hi, 4)), offset);
          const __m512 scale =
              _mm512_set1_ps(d * static_cast<float>(b[i].scales[c * 8 + k * 2 + h]));
          _mm512_storeu_ps(out, _mm512_mul_ps(scale, _mm512_cvtepi32_ps(q)));
        }
      }
    }
  }
}

void decode_row(GgmlType type, const uint8_t* row, float* out, int64_t n) {
  switch (type) {
    case GgmlType::kQ4_0:
      return q4_0_to_f32(reinterpret_cast<const BlockQ4_0*>(row), out, n);
    case GgmlType::kQ4_K:
      return q4_k_to_f32(reinterpret_cast<const BlockQ4_K*>(row), out, n);
    case GgmlType::kQ6_K:
      return q6_k_to_f32(reinterpret_cast<const BlockQ6_K*>(row), out, n);
    default:
      return dequantize_row(type, row, out, n);
  }
}

// Types without a dedicated kernel: NR rows decoded a piece at a time (Q4_0,
// Q4_K and Q6_K by the vector code above, the others by the reference),
// the accumulators carried across pieces.
template <int NR>
void matvec_rows_decoded(const MatrixRef& m, const float* x, float* y, int64_t r) {
  alignas(64) float buf[NR][kPiece];
  F32Load w[NR];
  __m512 acc[NR];
  for (int j = 0; j < NR; ++j) {
    w[j] = F32Load{buf[j]};
    acc[j] = _mm512_setzero_ps();
  }
  for (int64_t i = 0; i < m.cols; i += kPiece) {
    const int64_t len = m.cols - i < kPiece ? m.cols - i : kPiece;
    for (int j = 0; j < NR; ++j)
      decode_row(m.type, m.row(r + j) + piece_bytes(m.type, i), buf[j], len);
    matvec_tile<NR>(w, x + i, len, acc);
  }
  store_sums<NR>(acc, y + r);
}

template <int NR>
void matvec_group(const MatrixRef& w, const float* x, float* y, int64_t r) {
  switch (w.type) {
    case GgmlType::kF32:
      return matvec_rows<NR, F32Load>(w, x, y, r);
    case GgmlType::kF16:
      return matvec_rows<NR, F16Load>(w, x, y, r);
    case GgmlType::kBF16:
      return matvec_rows<NR, BF16Load>(w, x, y, r);
    case GgmlType::kQ8_0:
      return matvec_rows<NR, Q8Load>(w, x, y, r);
    default:
      return matvec_rows_decoded<NR>(w, x, y, r);
  }
}

void matvec(const MatrixRef& w, const float* x, float* y, int64_t r0, int64_t r1) {
  int64_t r = r0;
  for (; r + 4 <= r1; r += 4) matvec_group<4>(w, x, y, r);
  switch (r1 - r) {
    case 3:
      return matvec_group<3>(w, x, y, r);
    case 2:
      return matvec_group<2>(w, x, y, r);
    case 1:
      return matvec_group<1>(w, x, y, r);
    default:
      return;
  }
}

// NR rows times T tokens: each step widens the rows' sixteen values once and
// multiplies them into every token's accumulator, in matvec_rows' order
// (one accumulator per row and token, the same tail and reduction), so the
// bits are those of matvec token by token. The lines [ahead, ahead_end) are
// prefetched, evenly over the steps.
template <int NR, int T, class Load>
void matvec_rows_multi(const MatrixRef& m, const float* x, int64_t ldx, float* y, int64_t ldy,
                       int64_t r, const char* ahead, const char* ahead_end) {
  Load w[NR];
  __m512 acc[T][NR];
  for (int j = 0; j < NR; ++j) w[j] = Load{reinterpret_cast<decltype(w[j].p)>(m.row(r + j))};
#pragma GCC unroll 6
  for (int t = 0; t < T; ++t) {
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) acc[t][j] = _mm512_setzero_ps();
  }
  const int64_t steps = (m.cols + 15) / 16;
  const int64_t lines_per_step = ((ahead_end - ahead) / 64 + steps - 1) / steps;
  const int64_t n = m.cols;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    for (int64_t l = 0; l < lines_per_step && ahead < ahead_end; ++l, ahead += 64) {
      _mm_prefetch(ahead, _MM_HINT_T0);
    }
    __m512 wv[NR];
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) wv[j] = w[j].at(i);
#pragma GCC unroll 6
    for (int t = 0; t < T; ++t) {
      const __m512 xv = _mm512_loadu_ps(x + t * ldx + i);
#pragma GCC unroll 4
      for (int j = 0; j < NR; ++j) acc[t][j] = _mm512_fmadd_ps(wv[j], xv, acc[t][j]);
    }
  }
  if (i < n) {
    __m512 wv[NR];
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) wv[j] = w[j].tail(i, n - i);
#pragma GCC unroll 6
    for (int t = 0; t < T; ++t) {
      const __m512 xv = _mm512_maskz_loadu_ps(tail_mask(n - i), x + t * ldx + i);
#pragma GCC unroll 4
      for (int j = 0; j < NR; ++j) acc[t][j] = _mm512_fmadd_ps(wv[j], xv, acc[t][j]);
    }
  }
#pragma GCC unroll 6
  for (int t = 0; t < T; ++t) store_sums<NR>(acc[t], y + t * ldy + r);
}

using MultiFn = void (*)(const MatrixRef&, const float*, int64_t, float*, int64_t, int64_t,
                         const char*, const char*);

template <int NR, class Load>
MultiFn multi_for_tokens(int64_t t) {
  return t == 1   ? matvec_rows_multi<NR, 1, Load>
         : t == 2 ? matvec_rows_multi<NR, 2, Load>
         : t == 3 ? matvec_rows_multi<NR, 3, Load>
         : t == 4 ? matvec_rows_multi<NR, 4, Load>
         : t == 5 ? matvec_rows_multi<NR, 5, Load>
                  : matvec_rows_multi<NR, 6, Load>;
}

template <class Load>
MultiFn multi_for(int64_t nr, int64_t t) {
  return nr == 1   ? multi_for_tokens<1, Load>(t)
         : nr == 2 ? multi_for_tokens<2, Load>(t)
         : nr == 3 ? multi_for_tokens<3, Load>(t)
                   : multi_for_tokens<4, Load>(t);
}

// The next row group is prefetched across all passes over this one, a
// share each: prefetched in the first pass only, with 8 or 16 tokens the
// stream sat idle through the later passes (16 tokens took 10% longer).
void matvec_multi(const MatrixRef& w, const float* x, int64_t ldx, int64_t n_tok, float* y,
                  int64_t ldy, int64_t r0, int64_t r1) {
  if (w.type != GgmlType::kF32 && w.type != GgmlType::kF16 && w.type != GgmlType::kBF16) {
    for (int64_t t = 0; t < n_tok; ++t) matvec(w, x + t * ldx, y + t * ldy, r0, r1);
    return;
  }
  // Passes of up to 6 tokens, as even as possible (8 = 4 + 4, 16 = 6 + 5 + 5).
  const int64_t passes = (n_tok + 5) / 6;
  for (int64_t r = r0; r < r1; r += 4) {
    const int64_t nr = r1 - r < 4 ? r1 - r : 4;
    const auto* next = reinterpret_cast<const char*>(w.row(r + 4 < w.rows ? r + 4 : w.rows));
    const auto* next_end = reinterpret_cast<const char*>(w.row(r + 8 < w.rows ? r + 8 : w.rows));
    const int64_t lines = (next_end - next) / 64;
    for (int64_t p = 0, t = 0; p < passes; ++p) {
      const int64_t nt = (n_tok - t) / (passes - p);
      const MultiFn fn = w.type == GgmlType::kF16    ? multi_for<F16Load>(nr, nt)
                         : w.type == GgmlType::kBF16 ? multi_for<BF16Load>(nr, nt)
                                                     : multi_for<F32Load>(nr, nt);
      fn(w, x + t * ldx, ldx, y + t * ldy, ldy, r, next + lines * p / passes * 64,
         p + 1 == passes ? next_end : next + lines * (p + 1) / passes * 64);
      t += nt;
    }
  }
}

float dot(const float* a, const float* b, int64_t n) {
  __m512 acc = _mm512_setzero_ps();
  const F32Load w{a};
  matvec_tile<1>(&w, b, n, &acc);
  return _mm512_reduce_add_ps(acc);
}

template <class Load>
void widen_row(Load w, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(out + i, w.at(i));
  if (i < n) _mm512_mask_storeu_ps(out + i, tail_mask(n - i), w.tail(i, n - i));
}

void q8_0_to_f32(const BlockQ8_0* b, float* out, int64_t n) {
  for (int64_t i = 0; i < n / kQK; ++i, out += kQK) {
    const __m512 d = _mm512_set1_ps(_cvtsh_ss(b[i].d));
    _mm512_storeu_ps(out, _mm512_mul_ps(d, load_i8(b[i].qs)));
    _mm512_storeu_ps(out + 16, _mm512_mul_ps(d, load_i8(b[i].qs + 16)));
  }
}

void rows_to_f32(const MatrixRef& w, int64_t r0, int64_t r1, float* out) {
  for (int64_t r = r0; r < r1; ++r, out += w.cols) {
    const uint8_t* row = w.row(r);
    switch (w.type) {
      case GgmlType::kF32:
        std::memcpy(out, row, static_cast<size_t>(w.cols) * sizeof(float));
        break;
      case GgmlType::kF16:
        widen_row(F16Load{reinterpret_cast<const uint16_t*>(row)}, out, w.cols);
        break;
      case GgmlType::kBF16:
        widen_row(BF16Load{reinterpret_cast<const uint16_t*>(row)}, out, w.cols);
        break;
      case GgmlType::kQ8_0:
        q8_0_to_f32(reinterpret_cast<const BlockQ8_0*>(row), out, w.cols);
        break;
      default:
        decode_row(w.type, row, out, w.cols);
    }
  }
}

// How far ahead (in floats) a GEMM tile requests each of its rows: the ten
// rows it reads at once come from L2, more streams than the hardware
// prefetcher follows (products of 896-column rows ran 12% faster with it).
constexpr int64_t kTilePrefetch = 64;

// An MR x NR tile of c: MR rows of a against NR rows of b, k contiguous in
// both; one vector accumulator per output, reduced at the end.
template <int MR, int NR>
void micro_tile(const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc,
                int64_t k, float* carry, bool first, bool last) {
  __m512 acc[MR][NR];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 8
    for (int j = 0; j < NR; ++j) {
      acc[i][j] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(carry + (i * NR + j) * 16);
    }
  }
  int64_t p = 0;
  for (; p + 16 <= k; p += 16) {
    __m512 bv[NR];
#pragma GCC unroll 8
    for (int j = 0; j < NR; ++j) {
      _mm_prefetch(reinterpret_cast<const char*>(b + j * ldb + p + kTilePrefetch), _MM_HINT_T0);
      bv[j] = _mm512_loadu_ps(b + j * ldb + p);
    }
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      _mm_prefetch(reinterpret_cast<const char*>(a + i * lda + p + kTilePrefetch), _MM_HINT_T0);
      const __m512 av = _mm512_loadu_ps(a + i * lda + p);
#pragma GCC unroll 8
      for (int j = 0; j < NR; ++j) acc[i][j] = _mm512_fmadd_ps(bv[j], av, acc[i][j]);
    }
  }
  if (p < k) {
    const __mmask16 m = tail_mask(k - p);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const __m512 av = _mm512_maskz_loadu_ps(m, a + i * lda + p);
#pragma GCC unroll 8
      for (int j = 0; j < NR; ++j) {
        acc[i][j] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, b + j * ldb + p), av, acc[i][j]);
      }
    }
  }
  if (!last) {
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 8
      for (int j = 0; j < NR; ++j) _mm512_storeu_ps(carry + (i * NR + j) * 16, acc[i][j]);
    }
    return;
  }
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) store_sums<NR>(acc[i], c + i * ldc);
}

using MicroTile = void (*)(const float*, int64_t, const float*, int64_t, float*, int64_t, int64_t,
                           float*, bool, bool);

template <int MR>
constexpr MicroTile tile_for(int nr) {
  return nr == 1   ? micro_tile<MR, 1>
         : nr == 2 ? micro_tile<MR, 2>
         : nr == 3 ? micro_tile<MR, 3>
                   : micro_tile<MR, 4>;
}

MicroTile pick_tile(int mr, int nr) {
  switch (mr) {
    case 1:
      return tile_for<1>(nr);
    case 2:
      return tile_for<2>(nr);
    case 3:
      return tile_for<3>(nr);
    case 4:
      return tile_for<4>(nr);
    case 5:
      return tile_for<5>(nr);
    default:
      return tile_for<6>(nr);
  }
}

constexpr int64_t kTileRows = 6;
constexpr int64_t kRowBlock = 60;
// Rows longer than 1.5 times this are multiplied a piece of this many
// columns at a time (a multiple of 16: only the last piece has a tail).
constexpr int64_t kDepthBlock = 1024;

// Tiles of 6 rows of a by 4 of b: 24 accumulators, 10 loads per 24
// multiply-adds (4 x 4 took 8 per 16, and with long rows those loads come
// from L2). Rows of a are taken 60 at a time so the block stays in the
// core's L2 while every group of four b rows passes over it from L1. Long
// rows go in pieces of kDepthBlock columns, each tile's accumulators kept
// between pieces (`carry`): whole rows of 4864 columns (an FFN's down
// projection) overflowed both caches. A lane adds its products in the same
// order either way, so the bits are those of whole rows.
void gemm_nt(const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc,
             int64_t m, int64_t n, int64_t k) {
  const int64_t depth = k > kDepthBlock + kDepthBlock / 2 ? kDepthBlock : (k > 0 ? k : 1);
  thread_local std::vector<float> carry;
  const int64_t tiles = (kRowBlock / kTileRows) * ((n + 3) / 4);
  carry.resize(static_cast<size_t>(tiles * kTileRows * 4 * 16));
  for (int64_t i0 = 0; i0 < m; i0 += kRowBlock) {
    const int64_t i_end = i0 + kRowBlock < m ? i0 + kRowBlock : m;
    for (int64_t p = 0; p == 0 || p < k; p += depth) {  // k = 0 still writes zeros
      const int64_t kc = k - p < depth ? k - p : depth;
      float* slot = carry.data();
      for (int64_t j = 0; j < n; j += 4) {
        const int nr = static_cast<int>(n - j < 4 ? n - j : 4);
        for (int64_t i = i0; i < i_end; i += kTileRows, slot += kTileRows * 4 * 16) {
          const int mr = static_cast<int>(i_end - i < kTileRows ? i_end - i : kTileRows);
          pick_tile(mr, nr)(a + i * lda + p, lda, b + j * ldb + p, ldb, c + i * ldc + j, ldc, kc,
                            slot, p == 0, p + kc == k);
        }
      }
    }
  }
}

// e^x to about 1e-7 relative: x = n ln2 + r, |r| <= ln2/2, e^r by its
// Taylor series to degree 7, scaled by 2^n.
inline __m512 exp_ps(__m512 x) {
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.3f)), _mm512_set1_ps(88.3f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187045e-06f), r);
  __m512 p = _mm512_set1_ps(1.0f / 5040);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, n);
}

void softmax(float* x, int64_t n, float scale) {
  if (n <= 0) return;
  const __m512 vs = _mm512_set1_ps(scale);
  __m512 mx = _mm512_set1_ps(-__builtin_inff());
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) mx = _mm512_max_ps(mx, _mm512_mul_ps(_mm512_loadu_ps(x + i), vs));
  if (i < n) {
    const __m512 t =
        _mm512_mask_loadu_ps(_mm512_set1_ps(-__builtin_inff()), tail_mask(n - i), x + i);
    mx = _mm512_max_ps(mx, _mm512_mul_ps(t, vs));
  }
  const __m512 vmax = _mm512_set1_ps(_mm512_reduce_max_ps(mx));
  __m512 sum = _mm512_setzero_ps();
  for (i = 0; i + 16 <= n; i += 16) {
    const __m512 e = exp_ps(_mm512_fmsub_ps(_mm512_loadu_ps(x + i), vs, vmax));
    _mm512_storeu_ps(x + i, e);
    sum = _mm512_add_ps(sum, e);
  }
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    const __m512 e = exp_ps(_mm512_fmsub_ps(_mm512_maskz_loadu_ps(m, x + i), vs, vmax));
    _mm512_mask_storeu_ps(x + i, m, e);
    sum = _mm512_add_ps(sum, _mm512_maskz_mov_ps(m, e));
  }
  const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum));
  for (i = 0; i + 16 <= n; i += 16)
    _mm512_storeu_ps(x + i, _mm512_mul_ps(_mm512_loadu_ps(x + i), inv));
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    _mm512_mask_storeu_ps(x + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), inv));
  }
}

// gate * up / (1 + e^-gate); exp_ps clamps its argument, so a large
// negative gate gives a tiny product rather than 0 / inf.
inline __m512 swiglu_ps(__m512 g, __m512 u) {
  const __m512 e = exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), g));
  return _mm512_div_ps(_mm512_mul_ps(g, u), _mm512_add_ps(_mm512_set1_ps(1.0f), e));
}

void swiglu(const float* gate, const float* up, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm512_storeu_ps(out + i, swiglu_ps(_mm512_loadu_ps(gate + i), _mm512_loadu_ps(up + i)));
  }
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    _mm512_mask_storeu_ps(
        out + i, m,
        swiglu_ps(_mm512_maskz_loadu_ps(m, gate + i), _mm512_maskz_loadu_ps(m, up + i)));
  }
}

// quantize_activations' steps on 32 values at once: the maximum is exact
// in any order, and scale, 1 / scale, x * inv, the round-to-even by adding
// and subtracting 1.5 * 2^23 and the clamp are the same IEEE operations, so
// the bytes are the scalar code's.
void quantize_q8(const float* x, int64_t ldx, int64_t cols, int64_t r0, int64_t r1, int8_t* qs,
                 float* d, int32_t* sum128) {
  const int64_t nb = cols / kQK;
  const __m512 magic = _mm512_set1_ps(12582912.0f), hi = _mm512_set1_ps(127.0f),
               lo = _mm512_set1_ps(-127.0f);
  for (int64_t r = r0; r < r1; ++r) {
    for (int64_t b = 0; b < nb; ++b) {
      const float* in = x + r * ldx + b * kQK;
      const __m512 a0 = _mm512_loadu_ps(in), a1 = _mm512_loadu_ps(in + 16);
      const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(a0), _mm512_abs_ps(a1)));
      const float scale = amax / 127.0f;
      const __m512 inv = _mm512_set1_ps(scale != 0.0f ? 1.0f / scale : 0.0f);
      auto quantize = [&](__m512 a) {
        const __m512 v = _mm512_sub_ps(_mm512_add_ps(_mm512_mul_ps(a, inv), magic), magic);
        return _mm512_cvttps_epi32(_mm512_min_ps(_mm512_max_ps(v, lo), hi));
      };
      const __m512i q0 = quantize(a0), q1 = quantize(a1);
      int8_t* out = qs + r * cols + b * kQK;
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm512_cvtepi32_epi8(q0));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16), _mm512_cvtepi32_epi8(q1));
      d[r * nb + b] = scale;
      sum128[r * nb + b] = 128 * _mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1));
    }
  }
}

void f32_to_f16(const float* x, uint16_t* out, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i),
                        _mm512_cvtps_ph(_mm512_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
  }
  for (; i < n; ++i) out[i] = fp32_to_fp16(x[i]);
}

// Unsigned-by-signed byte products summed into int32 lanes without VNNI:
// pairs into int16 (below 2^15 here, so no saturation), then pairs of those.
// Packed weights (w + 128) are turned back into w and multiplied as |w|
// times x with w's sign, since (w + 128) * x could saturate the pairs.
struct MaddDot {
  static constexpr bool kOffset = false;
  static __m512i apply(__m512i u, __m512i s) {
    return _mm512_madd_epi16(_mm512_maddubs_epi16(u, s), _mm512_set1_epi16(1));
  }
  static __m512i packed(__m512i acc, __m512i wu, __m512i x) {
    const __m512i w = _mm512_xor_si512(wu, _mm512_set1_epi8(-128));
    const __m512i sx = _mm512_mask_sub_epi8(x, _mm512_movepi8_mask(w), _mm512_setzero_si512(), x);
    return _mm512_add_epi32(acc, apply(_mm512_abs_epi8(w), sx));
  }
  // Unsigned weights below 16 (Q4_0's nibbles): pairs stay far below 2^15.
  static __m512i unsigned_dot(__m512i acc, __m512i u, __m512i x) {
    return _mm512_add_epi32(acc, apply(u, x));
  }
};

void matvec_q8(const MatrixRef& w, const Q8Acts& x, int64_t t, float* y, int64_t r0, int64_t r1) {
  q8_matvec<MaddDot>(w, x, t, y, r0, r1);
}

// A packed matrix: 8 tokens at a time per group of rows. Otherwise token by
// token (the VNNI table has the real int8 GEMM for Q8_0): the panel of rows
// stays in cache across tokens.
void gemm_q8(const MatrixRef& w, const Q8Acts& x, float* y, int64_t ldy, int64_t r0, int64_t r1) {
  if (w.packed != nullptr) {
    q8_packed_product<MaddDot>(w, x, 0, x.rows, y, ldy, r0, r1);
    return;
  }
  for (int64_t t = 0; t < x.rows; ++t) matvec_q8(w, x, t, y + t * ldy, r0, r1);
}

void pack_q8(const Q8Acts&, int64_t, int64_t) {}

}  // namespace

const KernelTable& avx512_kernel_table() {
  static const KernelTable table{.name = "avx512",
                                 .matvec = matvec,
                                 .rows_to_f32 = rows_to_f32,
                                 .gemm_nt = gemm_nt,
                                 .dot = dot,
                                 .softmax = softmax,
                                 .f32_to_f16 = f32_to_f16,
                                 .swiglu = swiglu,
                                 .matvec_q8 = matvec_q8,
                                 .gemm_q8 = gemm_q8,
                                 .pack_q8 = pack_q8,
                                 .matvec_multi = matvec_multi,
                                 .quantize_q8 = quantize_q8,
                                 .reads_packed = true};
  return table;
}

}  // namespace hydra::engine
