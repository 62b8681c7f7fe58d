// AVX2 + FMA + F16C kernels. This file alone is built with those flags and
// uses no library templates, so no AVX2 code can leak into functions shared
// with other files. Tails shorter than a vector are finished in scalar code.
#include <immintrin.h>

#include <cstring>

#include "engine/kernels/act_quant.h"
#include "engine/kernels/kernels.h"
#include "engine/kernels/simd_avx2_q8.h"
#include "engine/kernels/simd_common.h"

namespace hydra::engine {
namespace {

using namespace simd_detail;

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline __m256 load_i8(const int8_t* p) {
  return _mm256_cvtepi32_ps(
      _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}

struct F32Load {
  const float* p;
  __m256 at(int64_t i) const { return _mm256_loadu_ps(p + i); }
  float one(int64_t i) const { return p[i]; }
};
struct F16Load {
  const uint16_t* p;
  __m256 at(int64_t i) const {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)));
  }
  float one(int64_t i) const { return _cvtsh_ss(p[i]); }
};
struct BF16Load {
  const uint16_t* p;
  __m256 at(int64_t i) const {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
  float one(int64_t i) const {
    const uint32_t bits = static_cast<uint32_t>(p[i]) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
};

struct Q8Load {
  const BlockQ8_0* p;
  __m256 at(int64_t i) const {
    const BlockQ8_0& blk = p[i / kQK];
    return _mm256_mul_ps(_mm256_set1_ps(_cvtsh_ss(blk.d)), load_i8(blk.qs + i % kQK));
  }
  float one(int64_t i) const {
    const BlockQ8_0& blk = p[i / kQK];
    return _cvtsh_ss(blk.d) * static_cast<float>(blk.qs[i % kQK]);
  }
};

// Every output of every kernel is reduced by this one tree, and tails are
// zero-padded vectors, so a dot product gives the same bits whichever
// kernel computed it and however far its zero padding reaches.
inline __m128 reduce4(__m256 a, __m256 b, __m256 c, __m256 d) {
  const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
  return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

template <int NR>
void reduce_sums(const __m256* acc, float* out) {
  const __m256 z = _mm256_setzero_ps();
  _mm_storeu_ps(out,
                reduce4(acc[0], NR > 1 ? acc[1] : z, NR > 2 ? acc[2] : z, NR > 3 ? acc[3] : z));
}

// The last n < 8 values, zero-padded to a vector.
inline __m256 padded(const float* p, int64_t n) {
  alignas(32) float t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int64_t i = 0; i < n; ++i) t[i] = p[i];
  return _mm256_load_ps(t);
}

// The NR rows' last n - i < 8 values, zero-padded to vectors.
template <int NR, class Load>
inline void widened_tail(const Load* w, int64_t i, int64_t n, __m256* wv) {
  for (int j = 0; j < NR; ++j) {
    alignas(32) float t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t q = i; q < n; ++q) t[q - i] = w[j].one(q);
    wv[j] = _mm256_load_ps(t);
  }
}

// NR rows times T tokens: each step widens the rows' eight values once and
// multiplies them into every token's accumulator (one per row and token,
// the same order, tail and reduction for any T), so the bits are those of
// one token at a time. When `prefetch`, the NR rows after these are
// requested from memory a few lines per step (the hardware prefetcher
// alone left the stream at about 3/4 of the bandwidth here).
template <int NR, int T, class Load>
void matvec_rows_multi(const MatrixRef& m, const float* x, int64_t ldx, float* y, int64_t ldy,
                       int64_t r, bool prefetch) {
  Load w[NR];
  __m256 acc[T][NR];
  for (int j = 0; j < NR; ++j) w[j] = Load{reinterpret_cast<decltype(w[j].p)>(m.row(r + j))};
#pragma GCC unroll 6
  for (int t = 0; t < T; ++t) {
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) acc[t][j] = _mm256_setzero_ps();
  }
  const char* ahead = reinterpret_cast<const char*>(m.row(r + NR));
  const char* ahead_end =
      prefetch ? reinterpret_cast<const char*>(m.data) + m.row_bytes * static_cast<size_t>(m.rows)
               : ahead;
  const int64_t n = m.cols, steps = (n + 7) / 8;
  const int64_t lines_per_step = (static_cast<int64_t>(NR * m.row_bytes) / 64 + steps - 1) / steps;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int64_t l = 0; l < lines_per_step && ahead < ahead_end; ++l, ahead += 64) {
      _mm_prefetch(ahead, _MM_HINT_T0);
    }
    __m256 wv[NR];
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) wv[j] = w[j].at(i);
#pragma GCC unroll 6
    for (int t = 0; t < T; ++t) {
      const __m256 xv = _mm256_loadu_ps(x + t * ldx + i);
#pragma GCC unroll 4
      for (int j = 0; j < NR; ++j) acc[t][j] = _mm256_fmadd_ps(wv[j], xv, acc[t][j]);
    }
  }
  if (i < n) {
    __m256 wv[NR];
    widened_tail<NR>(w, i, n, wv);
    for (int t = 0; t < T; ++t) {
      const __m256 xv = padded(x + t * ldx + i, n - i);
      for (int j = 0; j < NR; ++j) acc[t][j] = _mm256_fmadd_ps(wv[j], xv, acc[t][j]);
    }
  }
#pragma GCC unroll 6
  for (int t = 0; t < T; ++t) {
    float out[4];
    reduce_sums<NR>(acc[t], out);
    for (int j = 0; j < NR; ++j) y[t * ldy + r + j] = out[j];
  }
}

template <int NR, class Load>
void matvec_rows(const MatrixRef& m, const float* x, float* y, int64_t r) {
  matvec_rows_multi<NR, 1, Load>(m, x, 0, y, 0, r, true);
}

// Q4_0, Q4_K and Q6_K decoded 8 values at a time to the scalar reference's
// exact floats (nibble to int to float is exact, then the same multiply,
// and for Q4_K the same subtract); the layouts are described in
// simd_avx512.cpp, which decodes them 16 at a time.
inline __m256i bytes8(const uint8_t* p) {
  return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}

void q4_0_to_f32(const BlockQ4_0* b, float* out, int64_t n) {
  const __m256i low4 = _mm256_set1_epi32(0x0f), eight = _mm256_set1_epi32(8);
  for (int64_t i = 0; i < n / kQK; ++i, out += kQK) {
    const __m256 d = _mm256_set1_ps(fp16_to_fp32(b[i].d));
    for (int h = 0; h < 2; ++h) {
      const __m256i q = bytes8(b[i].qs + h * 8);
      const __m256i lo = _mm256_sub_epi32(_mm256_and_si256(q, low4), eight);
      const __m256i hi = _mm256_sub_epi32(_mm256_srli_epi32(q, 4), eight);
      _mm256_storeu_ps(out + h * 8, _mm256_mul_ps(d, _mm256_cvtepi32_ps(lo)));
      _mm256_storeu_ps(out + 16 + h * 8, _mm256_mul_ps(d, _mm256_cvtepi32_ps(hi)));
    }
  }
}

void q4_k_to_f32(const BlockQ4_K* b, float* out, int64_t n) {
  const __m256i low4 = _mm256_set1_epi32(0x0f);
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const float d = fp16_to_fp32(b[i].d), dmin = fp16_to_fp32(b[i].dmin);
    for (int j = 0; j < 8; ++j, out += 32) {
      uint8_t sc, m;
      q4_k_scale_min(b[i].scales, j, &sc, &m);
      const __m256 scale = _mm256_set1_ps(d * sc), offset = _mm256_set1_ps(dmin * m);
      const uint8_t* chunk = b[i].qs + (j / 2) * 32;
      for (int h = 0; h < 4; ++h) {
        const __m256i bytes = bytes8(chunk + h * 8);
        const __m256i q = j % 2 == 0 ? _mm256_and_si256(bytes, low4) : _mm256_srli_epi32(bytes, 4);
        _mm256_storeu_ps(out + h * 8,
                         _mm256_sub_ps(_mm256_mul_ps(scale, _mm256_cvtepi32_ps(q)), offset));
      }
    }
  }
}

void q6_k_to_f32(const BlockQ6_K* b, float* out, int64_t n) {
  const __m256i low4 = _mm256_set1_epi32(0x0f), low2 = _mm256_set1_epi32(3),
                offset = _mm256_set1_epi32(32);
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const float d = fp16_to_fp32(b[i].d);
    for (int c = 0; c < 2; ++c) {
      for (int k = 0; k < 4; ++k) {
        for (int h = 0; h < 4; ++h, out += 8) {
          const __m256i lb = bytes8(b[i].ql + c * 64 + (k & 1) * 32 + h * 8);
          const __m256i lo = k < 2 ? _mm256_and_si256(lb, low4) : _mm256_srli_epi32(lb, 4);
          const __m256i hb = bytes8(b[i].qh + c * 32 + h * 8);
          const __m256i hi = _mm256_and_si256(_mm256_srli_epi32(hb, 2 * k), low2);
          const __m256i q = _mm256_sub_epi32(_mm256_or_si256(lo, _mm256_slli_epi32(hi, 4)), offset);
          const __m256 scale =
              _mm256_set1_ps(d * static_cast<float>(b[i].scales[c * 8 + k * 2 + h / 2]));
          _mm256_storeu_ps(out, _mm256_mul_ps(scale, _mm256_cvtepi32_ps(q)));
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

// Types without a dedicated kernel: rows decoded (Q4_0, Q4_K and Q6_K by
// the code above, the others by the scalar reference)
// into a buffer, then the F32 kernel (rows are short enough here: the
// buffer is on the stack, so long rows go through in pieces of whole
// vectors with the accumulators carried).
template <int NR>
void matvec_rows_decoded(const MatrixRef& m, const float* x, float* y, int64_t r) {
  alignas(32) float buf[NR][kPiece];
  __m256 acc[NR];
  for (int j = 0; j < NR; ++j) acc[j] = _mm256_setzero_ps();
  for (int64_t i = 0; i < m.cols; i += kPiece) {
    const int64_t len = m.cols - i < kPiece ? m.cols - i : kPiece;
    for (int j = 0; j < NR; ++j)
      decode_row(m.type, m.row(r + j) + piece_bytes(m.type, i), buf[j], len);
    for (int64_t q = 0; q < len; q += 8) {
      const __m256 xv = _mm256_loadu_ps(x + i + q);
      for (int j = 0; j < NR; ++j)
        acc[j] = _mm256_fmadd_ps(_mm256_loadu_ps(buf[j] + q), xv, acc[j]);
    }
  }
  float out[4];
  reduce_sums<NR>(acc, out);
  for (int j = 0; j < NR; ++j) y[r + j] = out[j];
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

using MultiFn = void (*)(const MatrixRef&, const float*, int64_t, float*, int64_t, int64_t, bool);

template <int NR, class Load>
MultiFn multi_for_tokens(int64_t t) {
  return t == 1   ? matvec_rows_multi<NR, 1, Load>
         : t == 2 ? matvec_rows_multi<NR, 2, Load>
         : t == 3 ? matvec_rows_multi<NR, 3, Load>
         : t == 4 ? matvec_rows_multi<NR, 4, Load>
         : t == 5 ? matvec_rows_multi<NR, 5, Load>
                  : matvec_rows_multi<NR, 6, Load>;
}

// nr <= 4 rows for t <= 2 tokens, nr <= 2 rows for up to 6.
template <class Load>
MultiFn multi_for(int64_t nr, int64_t t) {
  if (t > 2) return nr == 1 ? multi_for_tokens<1, Load>(t) : multi_for_tokens<2, Load>(t);
  return nr == 1   ? multi_for_tokens<1, Load>(t)
         : nr == 2 ? multi_for_tokens<2, Load>(t)
         : nr == 3 ? matvec_rows_multi<3, 2, Load>
                   : matvec_rows_multi<4, 2, Load>;
}

// Up to 2 tokens: 4 rows at a time. More: 2 rows at a time in passes of up
// to 6 tokens as even as possible (8 = 4 + 4, 16 = 6 + 5 + 5), so each
// widened vector serves up to 6 multiply-adds (12 accumulators, 2 rows and
// x fill the sixteen registers). The first pass reads the rows from memory
// and prefetches the next ones, the others find them in cache.
void matvec_multi(const MatrixRef& w, const float* x, int64_t ldx, int64_t n_tok, float* y,
                  int64_t ldy, int64_t r0, int64_t r1) {
  if (w.type != GgmlType::kF32 && w.type != GgmlType::kF16 && w.type != GgmlType::kBF16) {
    for (int64_t t = 0; t < n_tok; ++t) matvec(w, x + t * ldx, y + t * ldy, r0, r1);
    return;
  }
  const int64_t step = n_tok <= 2 ? 4 : 2, per_pass = n_tok <= 2 ? 2 : 6;
  const int64_t passes = (n_tok + per_pass - 1) / per_pass;
  for (int64_t r = r0; r < r1; r += step) {
    const int64_t nr = r1 - r < step ? r1 - r : step;
    for (int64_t p = 0, t = 0; p < passes; ++p) {
      const int64_t nt = (n_tok - t) / (passes - p);
      const MultiFn fn = w.type == GgmlType::kF16    ? multi_for<F16Load>(nr, nt)
                         : w.type == GgmlType::kBF16 ? multi_for<BF16Load>(nr, nt)
                                                     : multi_for<F32Load>(nr, nt);
      fn(w, x + t * ldx, ldx, y + t * ldy, ldy, r, t == 0);
      t += nt;
    }
  }
}

float dot(const float* a, const float* b, int64_t n) {
  const MatrixRef m{GgmlType::kF32, 1, n, static_cast<size_t>(n) * 4,
                    reinterpret_cast<const uint8_t*>(a)};
  float y = 0;
  matvec_rows<1, F32Load>(m, b, &y, 0);
  return y;
}

template <class Load>
void widen_row(Load w, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, w.at(i));
  for (; i < n; ++i) out[i] = w.one(i);
}

void q8_0_to_f32(const BlockQ8_0* b, float* out, int64_t n) {
  for (int64_t i = 0; i < n / kQK; ++i, out += kQK) {
    const __m256 d = _mm256_set1_ps(_cvtsh_ss(b[i].d));
    for (int j = 0; j < kQK; j += 8)
      _mm256_storeu_ps(out + j, _mm256_mul_ps(d, load_i8(b[i].qs + j)));
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

// An MR x NR tile of c (MR <= 2, NR <= 4 fit the sixteen registers).
template <int MR, int NR>
void micro_tile(const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc,
                int64_t k) {
  __m256 acc[MR][NR];
  for (int i = 0; i < MR; ++i) {
    for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_setzero_ps();
  }
  int64_t p = 0;
  for (; p + 8 <= k; p += 8) {
    __m256 bv[NR];
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) bv[j] = _mm256_loadu_ps(b + j * ldb + p);
#pragma GCC unroll 2
    for (int i = 0; i < MR; ++i) {
      const __m256 av = _mm256_loadu_ps(a + i * lda + p);
#pragma GCC unroll 4
      for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_fmadd_ps(bv[j], av, acc[i][j]);
    }
  }
  if (p < k) {
    __m256 bv[NR];
    for (int j = 0; j < NR; ++j) bv[j] = padded(b + j * ldb + p, k - p);
    for (int i = 0; i < MR; ++i) {
      const __m256 av = padded(a + i * lda + p, k - p);
      for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_fmadd_ps(bv[j], av, acc[i][j]);
    }
  }
  for (int i = 0; i < MR; ++i) {
    float out[4];
    reduce_sums<NR>(acc[i], out);
    for (int j = 0; j < NR; ++j) c[i * ldc + j] = out[j];
  }
}

using MicroTile = void (*)(const float*, int64_t, const float*, int64_t, float*, int64_t, int64_t);

template <int MR>
constexpr MicroTile tile_for(int nr) {
  return nr == 1   ? micro_tile<MR, 1>
         : nr == 2 ? micro_tile<MR, 2>
         : nr == 3 ? micro_tile<MR, 3>
                   : micro_tile<MR, 4>;
}

void gemm_nt(const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc,
             int64_t m, int64_t n, int64_t k) {
  constexpr int64_t kRowBlock = 64;
  for (int64_t i0 = 0; i0 < m; i0 += kRowBlock) {
    const int64_t i_end = i0 + kRowBlock < m ? i0 + kRowBlock : m;
    for (int64_t j = 0; j < n; j += 4) {
      const int nr = static_cast<int>(n - j < 4 ? n - j : 4);
      for (int64_t i = i0; i < i_end; i += 2) {
        const MicroTile tile = i_end - i >= 2 ? tile_for<2>(nr) : tile_for<1>(nr);
        tile(a + i * lda, lda, b + j * ldb, ldb, c + i * ldc + j, ldc, k);
      }
    }
  }
}

// e^x as in the AVX-512 file; 2^n is built in the exponent bits.
inline __m256 exp_ps(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.3f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187045e-06f), r);
  __m256 p = _mm256_set1_ps(1.0f / 5040);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  const __m256i e =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

void softmax(float* x, int64_t n, float scale) {
  if (n <= 0) return;
  float mx = x[0] * scale;
  for (int64_t i = 0; i < n; ++i) mx = x[i] * scale > mx ? x[i] * scale : mx;
  const __m256 vs = _mm256_set1_ps(scale), vmax = _mm256_set1_ps(mx);
  __m256 acc = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 e = exp_ps(_mm256_fmsub_ps(_mm256_loadu_ps(x + i), vs, vmax));
    _mm256_storeu_ps(x + i, e);
    acc = _mm256_add_ps(acc, e);
  }
  float sum = hsum(acc);
  for (; i < n; ++i) {
    x[i] = __builtin_expf(x[i] * scale - mx);
    sum += x[i];
  }
  const float inv = 1.0f / sum;
  const __m256 vinv = _mm256_set1_ps(inv);
  for (i = 0; i + 8 <= n; i += 8)
    _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), vinv));
  for (; i < n; ++i) x[i] *= inv;
}

// gate * up / (1 + e^-gate); the tail goes through the same vector code
// with masked loads and stores.
inline __m256 swiglu_ps(__m256 g, __m256 u) {
  const __m256 e = exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), g));
  return _mm256_div_ps(_mm256_mul_ps(g, u), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

void swiglu(const float* gate, const float* up, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(out + i, swiglu_ps(_mm256_loadu_ps(gate + i), _mm256_loadu_ps(up + i)));
  }
  if (i < n) {
    const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n - i)),
                                         _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    _mm256_maskstore_ps(out + i, m,
                        swiglu_ps(_mm256_maskload_ps(gate + i, m), _mm256_maskload_ps(up + i, m)));
  }
}

void f32_to_f16(const float* x, uint16_t* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
  }
  for (; i < n; ++i) out[i] = fp32_to_fp16(x[i]);
}

// Int8 products with Q8_0 weights over the file's rows (the order is fixed
// in kernels.h; Q4_0 without a packed copy goes through int8_dot_ref.h).
// Eight rows at a time, one lane each, so the per-block multiply-add is a
// vector.

// The 32 products of one block as 8 exact int32 lanes: |w| times x with
// w's sign (maddubs wants unsigned times signed; pairs stay below 2^15).
inline __m256i block_dot(const int8_t* w, __m256i x) {
  const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
  const __m256i p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(wv, wv), _mm256_sign_epi8(x, wv));
  return _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
}

// Lane j = the sum of the lanes of v[j].
inline __m256i sum_lanes8(const __m256i* v) {
  const __m256i a = _mm256_hadd_epi32(_mm256_hadd_epi32(v[0], v[1]), _mm256_hadd_epi32(v[2], v[3]));
  const __m256i b = _mm256_hadd_epi32(_mm256_hadd_epi32(v[4], v[5]), _mm256_hadd_epi32(v[6], v[7]));
  return _mm256_add_epi32(_mm256_permute2x128_si256(a, b, 0x20),
                          _mm256_permute2x128_si256(a, b, 0x31));
}

// Rows r .. r+n-1 (n <= 8; missing lanes repeat the last row).
void q8_rows8(const MatrixRef& w, const int8_t* xq, const float* xd, float* y, int64_t r,
              int64_t n) {
  const BlockQ8_0* rows[8];
  for (int64_t j = 0; j < 8; ++j)
    rows[j] = reinterpret_cast<const BlockQ8_0*>(w.row(r + (j < n ? j : n - 1)));
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < w.cols / kQK; ++b) {
    const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + b * kQK));
    __m256i sums[8];
    alignas(16) uint16_t dh[8];
    for (int j = 0; j < 8; ++j) {
      sums[j] = block_dot(rows[j][b].qs, xv);
      dh[j] = rows[j][b].d;
    }
    const __m256 scale =
        _mm256_mul_ps(_mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(dh))),
                      _mm256_set1_ps(xd[b]));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum_lanes8(sums)), scale, acc);
  }
  alignas(32) float out[8];
  _mm256_store_ps(out, acc);
  for (int64_t j = 0; j < n; ++j) y[r + j] = out[j];
}

void matvec_q8(const MatrixRef& w, const Q8Acts& x, int64_t t, float* y, int64_t r0, int64_t r1) {
  if (w.packed != nullptr) {
    q8_avx2_packed_product(w, x, t, t + 1, y, 0, r0, r1);
    return;
  }
  if (w.type != GgmlType::kQ8_0) {
    int8_ref::matvec(w, x, t, y, r0, r1);
    return;
  }
  const int64_t nb = w.cols / kQK;
  for (int64_t r = r0; r < r1; r += 8) {
    q8_rows8(w, x.qs + t * x.cols, x.d + t * nb, y, r, r1 - r < 8 ? r1 - r : 8);
  }
}

// Over a packed matrix group by group, up to 4 tokens a pass; over the
// file's rows token by token (the panel of rows stays in cache).
void gemm_q8(const MatrixRef& w, const Q8Acts& x, float* y, int64_t ldy, int64_t r0, int64_t r1) {
  if (w.packed != nullptr) {
    q8_avx2_packed_product(w, x, 0, x.rows, y, ldy, r0, r1);
    return;
  }
  for (int64_t t = 0; t < x.rows; ++t) matvec_q8(w, x, t, y + t * ldy, r0, r1);
}

void pack_q8(const Q8Acts&, int64_t, int64_t) {}

}  // namespace

const KernelTable& avx2_kernel_table() {
  static const KernelTable table{.name = "avx2",
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
                                 .quantize_q8 = quantize_activations,
                                 .reads_packed = true};
  return table;
}

}  // namespace hydra::engine
