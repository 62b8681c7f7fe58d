// Each task takes up to kTileRows consecutive rows of one sequence and one
// KV head: the head's keys and values up to the last row's position are
// decoded from the cache once (K as rows, V transposed), then all query
// heads of the group over all rows of the tile are two small GEMMs around
// a masked softmax. So a step reads every cached key and value once per
// tile, and prefill runs at GEMM speed.
#include "engine/model/attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "engine/kernels/compute_pool.h"
#include "engine/kernels/kernels.h"
#include "engine/model/kv_cache.h"

namespace hydra::engine {
namespace {

constexpr int64_t kTileRows = 16;

struct Tile {
  int64_t r0, r1;
  int64_t kv_head;
};

struct Scratch {
  std::vector<float> k, vt, v, q, s, o;
};

// Head `g`'s slice of cache rows [0, n) as floats: k_out[j][hd], and the
// values transposed, vt_out[d][n].
void gather_head(const KernelTable& kt, KvCache& c, int64_t layer, int64_t g, int64_t hd, int64_t n,
                 Scratch& s) {
  KvBlocks& store = c.store();
  const int64_t bs = c.block_size();
  const GgmlType type = store.type();
  const size_t offset = row_size(type, g * hd);
  s.k.resize(static_cast<size_t>(n * hd));
  s.vt.resize(static_cast<size_t>(n * hd));
  s.v.resize(static_cast<size_t>(bs * hd));
  for (int64_t j0 = 0; j0 < n; j0 += bs) {
    const int64_t len = std::min(bs, n - j0);
    const int32_t b = c.block_at(j0);
    MatrixRef rows{type, len, hd, store.row_bytes(), store.k_row(b, layer, 0) + offset};
    kt.rows_to_f32(rows, 0, len, s.k.data() + j0 * hd);
    rows.data = store.v_row(b, layer, 0) + offset;
    kt.rows_to_f32(rows, 0, len, s.v.data());
    for (int64_t j = 0; j < len; ++j) {
      for (int64_t d = 0; d < hd; ++d)
        s.vt[static_cast<size_t>(d * n + j0 + j)] = s.v[static_cast<size_t>(j * hd + d)];
    }
  }
}

void run_tile(const Model& m, int64_t layer, std::span<const BatchRow> rows, const float* q,
              float* out, const Tile& t) {
  thread_local Scratch s;
  const KernelTable& kt = kernels();
  const int64_t hd = m.head_dim(), group = m.n_head() / m.n_head_kv();
  const int64_t q_dim = m.n_head() * hd;
  const int64_t n = rows[static_cast<size_t>(t.r1 - 1)].pos + 1;
  const int64_t m_rows = (t.r1 - t.r0) * group;
  gather_head(kt, *rows[static_cast<size_t>(t.r0)].cache, layer, t.kv_head, hd, n, s);
  s.q.resize(static_cast<size_t>(m_rows * hd));
  for (int64_t r = t.r0; r < t.r1; ++r) {
    const float* src = q + r * q_dim + t.kv_head * group * hd;
    std::memcpy(s.q.data() + (r - t.r0) * group * hd, src, static_cast<size_t>(group * hd) * 4);
  }
  s.s.resize(static_cast<size_t>(m_rows * n));
  kt.gemm_nt(s.q.data(), hd, s.k.data(), hd, s.s.data(), n, m_rows, n, hd);
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  for (int64_t i = 0; i < m_rows; ++i) {
    const int64_t len = rows[static_cast<size_t>(t.r0 + i / group)].pos + 1;
    float* srow = s.s.data() + i * n;
    kt.softmax(srow, len, scale);
    std::fill(srow + len, srow + n, 0.0f);
  }
  s.o.resize(static_cast<size_t>(m_rows * hd));
  kt.gemm_nt(s.s.data(), n, s.vt.data(), n, s.o.data(), hd, m_rows, hd, n);
  for (int64_t r = t.r0; r < t.r1; ++r) {
    float* dst = out + r * q_dim + t.kv_head * group * hd;
    std::memcpy(dst, s.o.data() + (r - t.r0) * group * hd, static_cast<size_t>(group * hd) * 4);
  }
}

}  // namespace

void attention(const Model& m, int64_t layer, std::span<const BatchRow> rows, const float* q,
               float* out) {
  std::vector<Tile> tiles;
  const auto n_rows = static_cast<int64_t>(rows.size());
  for (int64_t r0 = 0; r0 < n_rows;) {
    int64_t r1 = r0 + 1;
    while (r1 < n_rows && r1 - r0 < kTileRows &&
           rows[static_cast<size_t>(r1)].cache == rows[static_cast<size_t>(r0)].cache) {
      ++r1;
    }
    for (int64_t g = 0; g < m.n_head_kv(); ++g) tiles.push_back({r0, r1, g});
    r0 = r1;
  }
  ComputePool::instance().run(static_cast<int64_t>(tiles.size()), [&](int64_t i) {
    run_tile(m, layer, rows, q, out, tiles[static_cast<size_t>(i)]);
  });
}

}  // namespace hydra::engine
