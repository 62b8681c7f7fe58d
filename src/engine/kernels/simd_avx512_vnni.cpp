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
  static constexpr bool kOffset = true;  // packed weights are w + 128
  static __m512i apply(__m512i u, __m512i s) {
    return _mm512_dpbusd_epi32(_mm512_setzero_si512(), u, s);
  }
  static __m512i packed(__m512i acc, __m512i wu, __m512i x) {
    return _mm512_dpbusd_epi32(acc, wu, x);
  }
  static __m512i unsigned_dot(__m512i acc, __m512i u, __m512i x) {
    return _mm512_dpbusd_epi32(acc, u, x);
  }
};

void matvec_q8(const MatrixRef& w, const Q8Acts& x, int64_t t, float* y, int64_t r0, int64_t r1) {
  q8_matvec<VnniDot>(w, x, t, y, r0, r1);
}

// Up to 8 rows (a decode step of a few streams) use the narrow layout:
// per block, per q < 4, 64 bytes whose 128-bit lanes hold rows 0-3's quad q,
// rows 0-3's quad q + 4, rows 4-7's quad q, rows 4-7's quad q + 4. A row's
// 32 weight bytes broadcast to both 256-bit halves and shuffled within the
// 128-bit lanes (vpshufd) then give every lane its token's weights, so one
// vpdpbusd does 8 tokens x 2 quads and no lane idles. Scales and sums: per
// block 16 lanes, lane l for row (l / 8) * 4 + l % 4 (the lanes where a
// block's two halves are added).
constexpr int64_t kNarrowRows = 8;

int64_t narrow_row(int64_t lane) {
  return (lane / 8) * 4 + lane % 4;
}

void pack_q8_narrow(const Q8Acts& x) {
  const int64_t nb = x.cols / kQK;
  for (int64_t b = 0; b < nb; ++b) {
    for (int64_t q = 0; q < 4; ++q) {
      for (int64_t l = 0; l < 16; ++l) {
        const int64_t t = (l / 8) * 4 + l % 4, quad = q + 4 * ((l / 4) % 2);
        uint32_t v = 0;
        if (t < x.rows) std::memcpy(&v, x.qs + t * x.cols + b * kQK + quad * 4, 4);
        std::memcpy(x.packed + ((b * 4 + q) * 16 + l) * 4, &v, 4);
      }
    }
    for (int64_t l = 0; l < 16; ++l) {
      const int64_t t = narrow_row(l);
      const bool real = t < x.rows;
      x.packed_sum[b * 16 + l] = real ? x.sum128[t * nb + b] : 0;
      x.packed_d[b * 16 + l] = real ? x.d[t * nb + b] : 0.0f;
    }
  }
}

// The layout of Q8Acts::packed: per group of 16 rows, per 4 columns, the 16
// rows' 4 bytes, so one vpdpbusd multiplies 16 tokens by 4 weights broadcast
// from a row. vpdpbusd wants that operand unsigned, so the weights get +128
// on the fly and packed_sum holds what this adds to a block sum (128 times
// the token's block sum). Missing rows of the last group are zeros.
void pack_q8(const Q8Acts& x, int64_t g0, int64_t g1) {
  if (x.rows <= kNarrowRows) {
    if (g0 == 0 && g1 > 0) pack_q8_narrow(x);
    return;
  }
  const int64_t nb = x.cols / kQK, quads = x.cols / 4;
  for (int64_t g = g0; g < g1; ++g) {
    uint8_t* dst = x.packed + g * kQ8Group * x.cols;
    float* dd = x.packed_d + g * kQ8Group * nb;
    int32_t* ds = x.packed_sum + g * kQ8Group * nb;
    for (int64_t i = 0; i < kQ8Group; ++i) {
      const int64_t t = g * kQ8Group + i;
      const bool real = t < x.rows;
      const int8_t* src = x.qs + (real ? t : 0) * x.cols;
      for (int64_t q = 0; q < quads; ++q) {
        uint32_t v = 0;
        if (real) std::memcpy(&v, src + q * 4, 4);
        std::memcpy(dst + (q * kQ8Group + i) * 4, &v, 4);
      }
      for (int64_t b = 0; b < nb; ++b) {
        ds[b * kQ8Group + i] = real ? x.sum128[t * nb + b] : 0;
        dd[b * kQ8Group + i] = real ? x.d[t * nb + b] : 0.0f;
      }
    }
  }
}

// Where a tile finds row i's weight quad q and scale of block b: the file's
// blocks (quads 4 bytes apart, signed) or the packed matrix (quads 64 bytes
// apart within 512-byte block columns, already w + 128).
struct RowLayout {
  static constexpr int64_t kBlock = sizeof(BlockQ8_0), kQuad = 4, kScale = sizeof(BlockQ8_0);
  static constexpr bool kSigned = true;
};
struct PackedLayout {
  static constexpr int64_t kBlock = kQ8PackBlockBytes, kQuad = kQ8PackQuadBytes, kScale = 32;
  static constexpr bool kSigned = false;
};

struct Tile {
  const uint8_t* quads[8];   // row i's quad 0 of block 0
  const uint8_t* scales[8];  // row i's scale of block 0
  const uint8_t* xs[3];      // per group
  const float* xd[3];
  const int32_t* xsum[3];
  // One group: the next tile's rows, prefetched `lines` a block.
  const char* ahead;
  const char* ahead_end;
  int64_t lines;
};

// R rows times T groups of 16 tokens, blocks [b0, b1): per block, exact
// int32 sums for every (row, token) in zmm lanes (tokens across lanes), then
// one multiply-add per block into acc[i * T + t], carried across calls in
// block order. One group (a decode step) splits each sum in two chains to
// hide vpdpbusd's latency (integers: the order is free) and prefetches the
// rows a few blocks ahead, so memory overlaps the arithmetic.
template <class L, int R, int T>
void q8_tile(const Tile& tl, int64_t b0, int64_t b1, __m512* acc_io) {
  constexpr int kChains = T == 1 ? 2 : 1;
  const __m512i c80 = _mm512_set1_epi8(-128);
  // Locals, so the accumulators stay in registers (__m512 may alias).
  __m512 acc[R * T];
#pragma GCC unroll 24
  for (int i = 0; i < R * T; ++i) acc[i] = acc_io[i];
  const char* ahead = tl.ahead;
  for (int64_t b = b0; b < b1; ++b) {
    if constexpr (T == 1) {
      for (int64_t l = 0; l < tl.lines && ahead < tl.ahead_end; ++l, ahead += 64) {
        _mm_prefetch(ahead, _MM_HINT_T0);
      }
    }
    __m512i sum[kChains][R][T];
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
      if constexpr (T == 1) {
        _mm_prefetch(reinterpret_cast<const char*>(tl.quads[i]) + (b + 8) * L::kBlock, _MM_HINT_T0);
      }
#pragma GCC unroll 4
      for (int t = 0; t < T; ++t) {
        sum[0][i][t] = _mm512_setzero_si512();
        sum[kChains - 1][i][t] = _mm512_setzero_si512();
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
        std::memcpy(&w4, tl.quads[i] + b * L::kBlock + q * L::kQuad, 4);
        const __m512i wu = L::kSigned ? _mm512_xor_si512(_mm512_set1_epi32(w4), c80)  // w + 128
                                      : _mm512_set1_epi32(w4);
#pragma GCC unroll 4
        for (int t = 0; t < T; ++t) {
          __m512i& s = sum[q % kChains][i][t];
          s = _mm512_dpbusd_epi32(s, wu, xv[t]);
        }
      }
    }
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
      uint16_t d;
      std::memcpy(&d, tl.scales[i] + b * L::kScale, 2);
      const __m512 dw = _mm512_set1_ps(_cvtsh_ss(d));
#pragma GCC unroll 4
      for (int t = 0; t < T; ++t) {
        __m512i isum = sum[0][i][t];
        if constexpr (kChains == 2) isum = _mm512_add_epi32(isum, sum[1][i][t]);
        isum = _mm512_sub_epi32(isum, _mm512_loadu_si512(tl.xsum[t] + b * kQ8Group));
        const __m512 s = _mm512_mul_ps(_mm512_loadu_ps(tl.xd[t] + b * kQ8Group), dw);
        acc[i * T + t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), s, acc[i * T + t]);
      }
    }
  }
#pragma GCC unroll 24
  for (int i = 0; i < R * T; ++i) acc_io[i] = acc[i];
}

using TileFn = void (*)(const Tile&, int64_t, int64_t, __m512*);

// Rows per tile: 8 with one group (16 accumulators), 4 with more (up to 12).
template <int T>
constexpr int kMaxRows = T == 1 ? 8 : 4;

template <class L, int T>
TileFn tile_for(int64_t r) {
  switch (r) {
    case 1:
      return q8_tile<L, 1, T>;
    case 2:
      return q8_tile<L, 2, T>;
    case 3:
      return q8_tile<L, 3, T>;
    case 4:
      return q8_tile<L, 4, T>;
    case 5:
      return q8_tile<L, (kMaxRows<T> < 5 ? kMaxRows<T> : 5), T>;
    case 6:
      return q8_tile<L, (kMaxRows<T> < 6 ? kMaxRows<T> : 6), T>;
    case 7:
      return q8_tile<L, (kMaxRows<T> < 7 ? kMaxRows<T> : 7), T>;
    default:
      return q8_tile<L, kMaxRows<T>, T>;
  }
}

template <class L>
TileFn pick_tile(int64_t r, int64_t t) {
  return t == 1 ? tile_for<L, 1>(r) : t == 2 ? tile_for<L, 2>(r) : tile_for<L, 3>(r);
}

// Rows per pass (their accumulators live on the stack) and blocks per
// chunk: 3 groups x 16 tokens x 512 columns stay in L1 while every row of
// the pass goes over them.
constexpr int64_t kPassRows = 64;
constexpr int64_t kChunkBlocks = 16;

struct Pass {
  int64_t r0, r1, g, nt, height;
  int64_t task_end;  // prefetching stops here: the rows after it are another task's
};

// Points the tile at rows [r, r + n) and says where prefetching goes next
// (the file's rows only: over a packed matrix the tiles of a pass share
// each line of a group and the arithmetic, not memory, sets the pace).
void aim_tile(const MatrixRef& w, int64_t r, int64_t n, Tile& tl) {
  for (int64_t i = 0; i < n; ++i) {
    if (w.packed != nullptr) {
      const uint8_t* group = q8_pack_group(w, r + i);
      const int64_t lane = (r + i) % kQ8PackRows;
      tl.quads[i] = group + q8_pack_scale_bytes(w.cols / kQK) + lane * 4;
      tl.scales[i] = group + lane * 2;
    } else {
      tl.quads[i] = w.row(r + i) + 2;
      tl.scales[i] = w.row(r + i);
    }
  }
  tl.ahead = w.packed != nullptr ? nullptr : reinterpret_cast<const char*>(w.row(r + n));
}

void run_pass(const MatrixRef& w, const Q8Acts& x, const Pass& p, __m512 (*acc)[24]) {
  const int64_t nb = w.cols / kQK;
  Tile tl{};
  for (int64_t t = 0; t < p.nt; ++t) {
    tl.xs[t] = x.packed + (p.g + t) * kQ8Group * x.cols;
    tl.xd[t] = x.packed_d + (p.g + t) * kQ8Group * nb;
    tl.xsum[t] = x.packed_sum + (p.g + t) * kQ8Group * nb;
  }
  // One group stays in L2 across the rows; whole rows then stream from
  // memory in order.
  const int64_t chunk = p.nt == 1 ? nb : kChunkBlocks;
  tl.ahead_end =
      p.nt == 1 && w.packed == nullptr ? reinterpret_cast<const char*>(w.row(p.task_end)) : nullptr;
  tl.lines = (p.height * static_cast<int64_t>(w.row_bytes) / 64 + nb - 1) / nb;
  for (int64_t b0 = 0; b0 < nb; b0 += chunk) {
    const int64_t b1 = nb - b0 < chunk ? nb : b0 + chunk;
    for (int64_t r = p.r0, j = 0; r < p.r1; r += p.height, ++j) {
      const int64_t nr = p.r1 - r < p.height ? p.r1 - r : p.height;
      aim_tile(w, r, nr, tl);
      const TileFn tile =
          w.packed != nullptr ? pick_tile<PackedLayout>(nr, p.nt) : pick_tile<RowLayout>(nr, p.nt);
      tile(tl, b0, b1, acc[j]);
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

// R rows times up to 8 tokens in the narrow layout, over every block: per
// block and row 4 vpdpbusd, then the two halves of each token's sum added
// (exact), the offset removed and one multiply-add in block order; lanes
// 4-7 and 12-15 carry copies of 0-3 and 8-11. Rows are prefetched ahead.
template <int R>
void q8_narrow_tile(const BlockQ8_0* const* rows, const Q8Acts& x, int64_t nb, const char* ahead,
                    const char* ahead_end, int64_t lines, __m512* out) {
  const __m512i c80 = _mm512_set1_epi8(-128);
  __m512 acc[R];
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i) acc[i] = _mm512_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* xb = x.packed + b * 256;
    const __m512i x0 = _mm512_loadu_si512(xb), x1 = _mm512_loadu_si512(xb + 64);
    const __m512i x2 = _mm512_loadu_si512(xb + 128), x3 = _mm512_loadu_si512(xb + 192);
    const __m512i xsum = _mm512_loadu_si512(x.packed_sum + b * 16);
    const __m512 xd = _mm512_loadu_ps(x.packed_d + b * 16);
    for (int64_t l = 0; l < lines && ahead < ahead_end; ++l, ahead += 64) {
      _mm_prefetch(ahead, _MM_HINT_T0);
    }
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
      _mm_prefetch(reinterpret_cast<const char*>(rows[i]) + (b + 8) * sizeof(BlockQ8_0),
                   _MM_HINT_T0);
      const __m512i wv = _mm512_xor_si512(_mm512_broadcast_i64x4(_mm256_loadu_si256(
                                              reinterpret_cast<const __m256i*>(rows[i][b].qs))),
                                          c80);  // w + 128
      __m512i s =
          _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_shuffle_epi32(wv, _MM_PERM_AAAA), x0);
      s = _mm512_dpbusd_epi32(s, _mm512_shuffle_epi32(wv, _MM_PERM_BBBB), x1);
      s = _mm512_dpbusd_epi32(s, _mm512_shuffle_epi32(wv, _MM_PERM_CCCC), x2);
      s = _mm512_dpbusd_epi32(s, _mm512_shuffle_epi32(wv, _MM_PERM_DDDD), x3);
      s = _mm512_add_epi32(s, _mm512_shuffle_i32x4(s, s, 0xB1));
      s = _mm512_sub_epi32(s, xsum);
      const __m512 sc = _mm512_mul_ps(xd, _mm512_set1_ps(_cvtsh_ss(rows[i][b].d)));
      acc[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), sc, acc[i]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i) out[i] = acc[i];
}

using NarrowFn = void (*)(const BlockQ8_0* const*, const Q8Acts&, int64_t, const char*, const char*,
                          int64_t, __m512*);

NarrowFn narrow_tile(int64_t r) {
  switch (r) {
    case 1:
      return q8_narrow_tile<1>;
    case 2:
      return q8_narrow_tile<2>;
    case 3:
      return q8_narrow_tile<3>;
    case 4:
      return q8_narrow_tile<4>;
    case 5:
      return q8_narrow_tile<5>;
    case 6:
      return q8_narrow_tile<6>;
    case 7:
      return q8_narrow_tile<7>;
    default:
      return q8_narrow_tile<8>;
  }
}

void gemm_q8_narrow(const MatrixRef& w, const Q8Acts& x, float* y, int64_t ldy, int64_t r0,
                    int64_t r1) {
  const int64_t nb = w.cols / kQK;
  alignas(64) float lanes[16];
  __m512 acc[8];
  const BlockQ8_0* rows[8];
  // Prefetching stops at the task's end: the rows after it are another task's.
  const char* ahead_end = reinterpret_cast<const char*>(w.row(r1));
  const int64_t lines = (8 * static_cast<int64_t>(w.row_bytes) / 64 + nb - 1) / nb;
  for (int64_t r = r0; r < r1; r += 8) {
    const int64_t nr = r1 - r < 8 ? r1 - r : 8;
    for (int64_t i = 0; i < nr; ++i) rows[i] = reinterpret_cast<const BlockQ8_0*>(w.row(r + i));
    // The next tile's rows (contiguous) are prefetched a few lines per block.
    const char* ahead = reinterpret_cast<const char*>(w.row(r + 8));
    narrow_tile(nr)(rows, x, nb, ahead, ahead_end, lines, acc);
    for (int64_t i = 0; i < nr; ++i) {
      _mm512_store_ps(lanes, acc[i]);
      for (int64_t t = 0; t < x.rows; ++t) y[t * ldy + r + i] = lanes[(t / 4) * 8 + t % 4];
    }
  }
}

// Up to 16 tokens over a packed matrix (a decode step) go group by group,
// with the weights read once; more make the tiles above, with the
// activations kept in L1.
constexpr int64_t kPackedDecodeRows = 16;

// Q4_0 has no tiles of its own: every batch goes group by group, 8 tokens
// at a time, with the group in L1 after the first.
void gemm_q8(const MatrixRef& w, const Q8Acts& x, float* y, int64_t ldy, int64_t r0, int64_t r1) {
  if (w.type != GgmlType::kQ8_0) {
    if (w.packed != nullptr) {
      q8_packed_product<VnniDot>(w, x, 0, x.rows, y, ldy, r0, r1);
    } else {
      for (int64_t t = 0; t < x.rows; ++t) int8_ref::matvec(w, x, t, y + t * ldy, r0, r1);
    }
    return;
  }
  if (w.packed != nullptr && x.rows <= kPackedDecodeRows) {
    q8_packed_product<VnniDot>(w, x, 0, x.rows, y, ldy, r0, r1);
    return;
  }
  if (w.packed == nullptr && x.rows <= kNarrowRows) {
    gemm_q8_narrow(w, x, y, ldy, r0, r1);
    return;
  }
  const int64_t groups = (x.rows + kQ8Group - 1) / kQ8Group;
  __m512 acc[kPassRows / 4][24];
  for (int64_t pr = r0; pr < r1; pr += kPassRows) {
    const int64_t pr1 = r1 - pr < kPassRows ? r1 : pr + kPassRows;
    for (int64_t g = 0; g < groups; g += 3) {
      const int64_t nt = groups - g < 3 ? groups - g : 3;
      const Pass p{pr, pr1, g, nt, nt == 1 ? 8 : 4, r1};
      for (auto& tile : acc)
        for (__m512& v : tile) v = _mm512_setzero_ps();
      run_pass(w, x, p, acc);
      store_pass(x, p, acc, y, ldy);
    }
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
    t.reads_packed = true;
    return t;
  }();
  return table;
}

}  // namespace hydra::engine
