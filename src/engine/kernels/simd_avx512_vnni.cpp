// AVX-512 with AVX512_VNNI: the AVX-512 table with int8 products for Q8_0
// weights done by vpdpbusd. This file alone is built with -mavx512vnni; the
// table is only chosen when CPUID reports it, so the build machine needs
// nothing. The order of the float operations is the one fixed in kernels.h,
// so results equal the scalar table's bit for bit.
#include <immintrin.h>

#include <cstring>

#include "engine/kernels/kernels.h"
#include "engine/kernels/simd_avx512_q8.h"

namespace hydra::engine {
namespace {

struct VnniDot {
  static __m512i apply(__m512i u, __m512i s) {
    return _mm512_dpbusd_epi32(_mm512_setzero_si512(), u, s);
  }
};

void matvec_q8(const MatrixRef& w, const Q8Acts& x, int64_t t, float* y, int64_t r0, int64_t r1) {
  q8_matvec<VnniDot>(w, x, t, y, r0, r1);
}

// The layout of Q8Acts::packed: per group of 16 rows, per 4 columns, the 16
// rows' 4 bytes as unsigned (x + 128), so one vpdpbusd multiplies 16 tokens
// by 4 weights broadcast from a row. Missing rows of the last group are
// zeros (128) with scale 0.
void pack_q8(const Q8Acts& x, int64_t g0, int64_t g1) {
  const int64_t nb = x.cols / kQK, quads = x.cols / 4;
  for (int64_t g = g0; g < g1; ++g) {
    uint8_t* dst = x.packed + g * kQ8Group * x.cols;
    float* dd = x.packed_d + g * kQ8Group * nb;
    for (int64_t i = 0; i < kQ8Group; ++i) {
      const int64_t t = g * kQ8Group + i;
      for (int64_t q = 0; q < quads; ++q) {
        uint32_t v = 0;
        if (t < x.rows) std::memcpy(&v, x.qs + t * x.cols + q * 4, 4);
        v ^= 0x80808080u;
        std::memcpy(dst + (q * kQ8Group + i) * 4, &v, 4);
      }
      for (int64_t b = 0; b < nb; ++b) dd[b * kQ8Group + i] = t < x.rows ? x.d[t * nb + b] : 0.0f;
    }
  }
}

// 128 * (sum of a block's weights): what the +128 offset of the packed
// activations adds to each block sum.
inline int32_t offset_correction(const BlockQ8_0& blk) {
  const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qs));
  const __m256i s =
      _mm256_sad_epu8(_mm256_xor_si256(w, _mm256_set1_epi8(-128)), _mm256_setzero_si256());
  const __m128i h = _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
  const int64_t biased = _mm_cvtsi128_si64(h) + _mm_extract_epi64(h, 1);  // sum of (w + 128)
  return static_cast<int32_t>((biased - 128 * kQK) * 128);
}

struct Tile {
  const BlockQ8_0* rows[8];
  const int32_t* corr[8];  // per row, per block
  const uint8_t* xs[3];    // per group
  const float* xd[3];
};

// R rows times T groups of 16 tokens, blocks [b0, b1): per block, exact
// int32 sums for every (row, token) in zmm lanes (tokens across lanes), then
// one multiply-add per block into acc[i * T + t], carried across calls in
// block order. Several groups share a precomputed offset correction; one
// group (a decode step) computes it beside the sums instead, as a second
// vpdpbusd chain (which also hides the first chain's latency), so the rows
// are read once and the stream from memory overlaps the arithmetic.
template <int R, int T>
void q8_tile(const Tile& tl, int64_t b0, int64_t b1, __m512* acc_io) {
  constexpr bool kOwnCorr = T == 1;
  const __m512i c80 = _mm512_set1_epi8(-128);
  // Locals, so the accumulators stay in registers (__m512 may alias).
  __m512 acc[R * T];
#pragma GCC unroll 24
  for (int i = 0; i < R * T; ++i) acc[i] = acc_io[i];
  for (int64_t b = b0; b < b1; ++b) {
    __m512i sum[R][T], corr[R];
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
      if constexpr (kOwnCorr) {
        _mm_prefetch(reinterpret_cast<const char*>(&tl.rows[i][b + 8]), _MM_HINT_T0);
        corr[i] = _mm512_setzero_si512();
      }
#pragma GCC unroll 4
      for (int t = 0; t < T; ++t) {
        sum[i][t] = kOwnCorr ? _mm512_setzero_si512() : _mm512_set1_epi32(-tl.corr[i][b]);
      }
    }
#pragma GCC unroll 8
    for (int q = 0; q < kQK / 4; ++q) {
      __m512i xv[T];
#pragma GCC unroll 4
      for (int t = 0; t < T; ++t) xv[t] = _mm512_loadu_si512(tl.xs[t] + (b * 8 + q) * 64);
#pragma GCC unroll 8
      for (int i = 0; i < R; ++i) {
        int32_t w4;
        std::memcpy(&w4, tl.rows[i][b].qs + q * 4, 4);
        const __m512i wb = _mm512_set1_epi32(w4);
        if constexpr (kOwnCorr) corr[i] = _mm512_dpbusd_epi32(corr[i], c80, wb);
#pragma GCC unroll 4
        for (int t = 0; t < T; ++t) sum[i][t] = _mm512_dpbusd_epi32(sum[i][t], xv[t], wb);
      }
    }
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
      const __m512 dw = _mm512_set1_ps(_cvtsh_ss(tl.rows[i][b].d));
#pragma GCC unroll 4
      for (int t = 0; t < T; ++t) {
        __m512i isum = sum[i][t];
        if constexpr (kOwnCorr) isum = _mm512_sub_epi32(isum, corr[i]);
        const __m512 s = _mm512_mul_ps(_mm512_loadu_ps(tl.xd[t] + b * kQ8Group), dw);
        acc[i * T + t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), s, acc[i * T + t]);
      }
    }
  }
#pragma GCC unroll 24
  for (int i = 0; i < R * T; ++i) acc_io[i] = acc[i];
}

using TileFn = void (*)(const Tile&, int64_t, int64_t, __m512*);

template <int T>
TileFn tile_for(int64_t r) {
  switch (r) {
    case 1:
      return q8_tile<1, T>;
    case 2:
      return q8_tile<2, T>;
    case 3:
      return q8_tile<3, T>;
    case 4:
      return q8_tile<4, T>;
    case 5:
      return q8_tile < T == 1 ? 5 : 4, T > ;
    case 6:
      return q8_tile < T == 1 ? 6 : 4, T > ;
    case 7:
      return q8_tile < T == 1 ? 7 : 4, T > ;
    default:
      return q8_tile < T == 1 ? 8 : 4, T > ;
  }
}

TileFn pick_tile(int64_t r, int64_t t) {
  return t == 1 ? tile_for<1>(r) : t == 2 ? tile_for<2>(r) : tile_for<3>(r);
}

// Rows per pass (their accumulators and corrections live on the stack) and
// blocks per chunk: 3 groups x 16 tokens x 512 columns stay in L1 while
// every row of the pass goes over them.
constexpr int64_t kPassRows = 64;
constexpr int64_t kCorrInts = 8192;
constexpr int64_t kChunkBlocks = 16;

struct Pass {
  int64_t r0, r1, g, nt, height;
};

void run_pass(const MatrixRef& w, const Q8Acts& x, const int32_t* corr, const Pass& p,
              __m512 (*acc)[24]) {
  const int64_t nb = w.cols / kQK;
  Tile tl{};
  for (int64_t t = 0; t < p.nt; ++t) {
    tl.xs[t] = x.packed + (p.g + t) * kQ8Group * x.cols;
    tl.xd[t] = x.packed_d + (p.g + t) * kQ8Group * nb;
  }
  // One group is small enough to stay in L2 across the rows; whole rows
  // then stream from memory in order.
  const int64_t chunk = p.nt == 1 ? nb : kChunkBlocks;
  for (int64_t b0 = 0; b0 < nb; b0 += chunk) {
    const int64_t b1 = nb - b0 < chunk ? nb : b0 + chunk;
    for (int64_t r = p.r0, j = 0; r < p.r1; r += p.height, ++j) {
      const int64_t nr = p.r1 - r < p.height ? p.r1 - r : p.height;
      for (int64_t i = 0; i < nr; ++i) {
        tl.rows[i] = reinterpret_cast<const BlockQ8_0*>(w.row(r + i));
        tl.corr[i] = corr + (r + i - p.r0) * nb;
      }
      pick_tile(nr, p.nt)(tl, b0, b1, acc[j]);
    }
  }
}

void store_pass(const Q8Acts& x, const Pass& p, __m512 (*acc)[24], float* y, int64_t ldy) {
  alignas(64) float lanes[16];
  for (int64_t r = p.r0, j = 0; r < p.r1; r += p.height, ++j) {
    const int64_t nr = p.r1 - r < p.height ? p.r1 - r : p.height;
    for (int64_t i = 0; i < nr; ++i) {
      for (int64_t t = 0; t < p.nt; ++t) {
        _mm512_store_ps(lanes, acc[j][i * p.nt + t]);
        const int64_t tok0 = (p.g + t) * kQ8Group;
        const int64_t n = x.rows - tok0 < kQ8Group ? x.rows - tok0 : kQ8Group;
        for (int64_t l = 0; l < n; ++l) y[(tok0 + l) * ldy + r + i] = lanes[l];
      }
    }
  }
}

void gemm_rows(const MatrixRef& w, const Q8Acts& x, float* y, int64_t ldy, int64_t r0, int64_t r1,
               int32_t* corr) {
  const int64_t nb = w.cols / kQK;
  const int64_t groups = (x.rows + kQ8Group - 1) / kQ8Group;
  for (int64_t r = r0; r < r1 && groups > 1; ++r) {  // one group: the tile does it
    const auto* row = reinterpret_cast<const BlockQ8_0*>(w.row(r));
    for (int64_t b = 0; b < nb; ++b) corr[(r - r0) * nb + b] = offset_correction(row[b]);
  }
  __m512 acc[kPassRows / 4][24];
  for (int64_t g = 0; g < groups; g += 3) {
    const int64_t nt = groups - g < 3 ? groups - g : 3;
    const Pass p{r0, r1, g, nt, nt == 1 ? 8 : 4};
    for (auto& tile : acc)
      for (__m512& v : tile) v = _mm512_setzero_ps();
    run_pass(w, x, corr, p, acc);
    store_pass(x, p, acc, y, ldy);
  }
}

void gemm_q8(const MatrixRef& w, const Q8Acts& x, float* y, int64_t ldy, int64_t r0, int64_t r1) {
  alignas(64) int32_t corr[kCorrInts];
  const int64_t nb = w.cols / kQK;
  int64_t step = kCorrInts / nb / 8 * 8;
  step = step < kPassRows ? step : kPassRows;
  if (step == 0) {  // rows too long for the buffer: token by token
    for (int64_t t = 0; t < x.rows; ++t) matvec_q8(w, x, t, y + t * ldy, r0, r1);
    return;
  }
  for (int64_t r = r0; r < r1; r += step) {
    gemm_rows(w, x, y, ldy, r, r1 - r < step ? r1 : r + step, corr);
  }
}

}  // namespace

const KernelTable& avx512_vnni_kernel_table() {
  static const KernelTable table = [] {
    KernelTable t = avx512_kernel_table();
    t.name = "avx512_vnni";
    t.matvec_q8 = matvec_q8;
    t.gemm_q8 = gemm_q8;
    t.pack_q8 = pack_q8;
    return t;
  }();
  return table;
}

}  // namespace hydra::engine
