// AVX-512 with AVX512_BF16: the AVX512_VNNI table, plus products of BF16
// weights by vdpbf16ps, two multiply-adds a lane an instruction where
// widening the weights to floats does one. The activations are rounded to
// bf16 once per product (round to nearest even), as the instruction wants
// both operands in bf16. This file alone is built with -mavx512bf16; the
// table is only used when forced (HYDRA_ENGINE_KERNELS=avx512_bf16) and
// CPUID reports the instructions: on the Xeon it was measured on,
// vdpbf16ps ran at half the multiply-add rate of FMA, so only one token's
// product from cache came out ahead (kernels/README).
//
// One tile kernel computes every product: each (row, token) sum is one zmm
// fed the same 32-element chunks in the same order, then reduced by one
// fixed tree, whatever the tile's shape, so one token, a decode step of
// several and a prompt give the same bits (kernels/README, batch invariance).
#include <immintrin.h>

#include "engine/kernels/kernels.h"

namespace hydra::engine {
namespace {

constexpr int64_t kChunk = 32;      // bf16 pairs in a zmm
constexpr int64_t kAhead = 512;     // bytes of each row prefetched ahead (one token)
constexpr int64_t kTokenBlock = 4;  // tokens of a tile (several tokens)

inline __mmask32 chunk_mask(int64_t left) {
  return left >= kChunk ? ~__mmask32{0} : static_cast<__mmask32>((1u << left) - 1u);
}

void f32_to_bf16(const float* x, uint16_t* out, int64_t n) {
  for (int64_t i = 0; i < n; i += 16) {
    const auto m = static_cast<__mmask16>(n - i >= 16 ? 0xFFFF : (1u << (n - i)) - 1u);
    const __m256bh h = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, x + i));
    _mm256_mask_storeu_epi16(out + i, m, reinterpret_cast<const __m256i&>(h));
  }
}

inline __m512bh load_bf16x32(__mmask32 m, const uint16_t* p) {
  const __m512i v = _mm512_maskz_loadu_epi16(m, p);
  return reinterpret_cast<const __m512bh&>(v);
}

// Rows r .. r+R-1 times tokens t .. t+T-1 of xb (cols apart):
// y[(t + j) * ldy + r + i]. `ahead`: the pass that reads these rows from
// memory prefetches each kAhead bytes on.
template <int R, int T>
void bf16_tile(const MatrixRef& w, const uint16_t* xb, int64_t r, int64_t t, float* y, int64_t ldy,
               bool ahead) {
  const int64_t n = w.cols;
  const uint16_t* rows[R];
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i) rows[i] = reinterpret_cast<const uint16_t*>(w.row(r + i));
  __m512 acc[R][T];
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i) {
#pragma GCC unroll 4
    for (int j = 0; j < T; ++j) acc[i][j] = _mm512_setzero_ps();
  }
  for (int64_t k = 0; k < n; k += kChunk) {
    const __mmask32 m = chunk_mask(n - k);
    __m512bh wv[R];
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
      if (ahead) _mm_prefetch(reinterpret_cast<const char*>(rows[i] + k) + kAhead, _MM_HINT_T0);
      wv[i] = load_bf16x32(m, rows[i] + k);
    }
#pragma GCC unroll 4
    for (int j = 0; j < T; ++j) {
      const __m512bh xv = load_bf16x32(m, xb + (t + j) * n + k);
#pragma GCC unroll 8
      for (int i = 0; i < R; ++i) acc[i][j] = _mm512_dpbf16_ps(acc[i][j], wv[i], xv);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i) {
#pragma GCC unroll 4
    for (int j = 0; j < T; ++j) y[(t + j) * ldy + r + i] = _mm512_reduce_add_ps(acc[i][j]);
  }
}

using TileFn = void (*)(const MatrixRef&, const uint16_t*, int64_t, int64_t, float*, int64_t, bool);

// The tiles of R rows for the token counts T..., by count (from 1).
template <int R, int... T>
struct Tiles {
  static constexpr TileFn by_tokens[] = {bf16_tile<R, T>...};
};
using OneRow = Tiles<1, 1, 2, 3, 4, 5, 6, 7, 8>;

// Tokens [t, t + n) of rows [r0, r1): R rows a tile (from Rows, which has
// tiles for n tokens), the rows left over one at a time. The pass of the
// first tokens reads the rows from memory, so it prefetches.
template <int R, class Rows>
void bf16_rows(const MatrixRef& w, const uint16_t* xb, int64_t t, int64_t n, float* y, int64_t ldy,
               int64_t r0, int64_t r1) {
  const TileFn tile = Rows::by_tokens[n - 1], one = OneRow::by_tokens[n - 1];
  int64_t r = r0;
  for (; r + R <= r1; r += R) tile(w, xb, r, t, y, ldy, t == 0);
  for (; r < r1; ++r) one(w, xb, r, t, y, ldy, t == 0);
}

// A decode step of up to kStepTokens: 2 rows at a time times every token, 8
// at a time, so each row comes from memory once (prefetched) and serves the
// later tokens from L1.
constexpr int64_t kStepTokens = 16;
void bf16_step(const MatrixRef& w, const uint16_t* xb, int64_t n_tok, float* y, int64_t ldy,
               int64_t r0, int64_t r1) {
  using TwoRows = Tiles<2, 1, 2, 3, 4, 5, 6, 7, 8>;
  for (int64_t r = r0; r < r1; r += 2) {
    const bool pair = r + 2 <= r1;
    for (int64_t t = 0; t < n_tok; t += 8) {
      const int64_t n = n_tok - t < 8 ? n_tok - t : 8;
      const TileFn tile = pair ? TwoRows::by_tokens[n - 1] : OneRow::by_tokens[n - 1];
      tile(w, xb, r, t, y, ldy, t == 0);
    }
  }
}

// One token: 8 rows a tile, streamed with prefetch. A decode step:
// bf16_step. More: 4 rows x 4 tokens over a block of 64 rows, read from
// memory (with prefetch) by the first 4 tokens and from cache by the others.
void gemm_bf16(const MatrixRef& w, const uint16_t* xb, int64_t n_tok, float* y, int64_t ldy,
               int64_t r0, int64_t r1) {
  if (n_tok == 1) {
    bf16_rows<8, Tiles<8, 1>>(w, xb, 0, 1, y, ldy, r0, r1);
    return;
  }
  if (n_tok <= kStepTokens) {
    bf16_step(w, xb, n_tok, y, ldy, r0, r1);
    return;
  }
  constexpr int64_t kRowBlock = 64;
  for (int64_t rb = r0; rb < r1; rb += kRowBlock) {
    const int64_t rb1 = r1 - rb < kRowBlock ? r1 : rb + kRowBlock;
    for (int64_t t = 0; t < n_tok; t += kTokenBlock) {
      const int64_t n = n_tok - t < kTokenBlock ? n_tok - t : kTokenBlock;
      bf16_rows<4, Tiles<4, 1, 2, 3, 4>>(w, xb, t, n, y, ldy, rb, rb1);
    }
  }
}

}  // namespace

const KernelTable& avx512_bf16_kernel_table() {
  static const KernelTable table = [] {
    KernelTable t = avx512_vnni_kernel_table();
    t.name = "avx512_bf16";
    t.gemm_bf16 = gemm_bf16;
    t.f32_to_bf16 = f32_to_bf16;
    return t;
  }();
  return table;
}

}  // namespace hydra::engine
