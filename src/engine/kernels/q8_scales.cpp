#include "engine/kernels/q8_scales.h"

#include <algorithm>
#include <cstring>

#include "engine/kernels/matmul.h"

namespace hydra::engine {

std::vector<uint16_t> build_q8_scales(const MatrixRef& w) {
  if (w.type != GgmlType::kQ8_0 || w.rows <= 0) return {};
  const int64_t nb = w.cols / kQK;
  const int64_t groups = (w.rows + kQ8ScaleRows - 1) / kQ8ScaleRows;
  std::vector<uint16_t> out(static_cast<size_t>(groups * nb * kQ8ScaleRows));
  parallel_for(groups, 8, [&](int64_t g0, int64_t g1) {
    for (int64_t g = g0; g < g1; ++g) {
      for (int64_t j = 0; j < kQ8ScaleRows; ++j) {
        const int64_t r = std::min(g * kQ8ScaleRows + j, w.rows - 1);
        const auto* blocks = reinterpret_cast<const BlockQ8_0*>(w.row(r));
        for (int64_t b = 0; b < nb; ++b) {
          std::memcpy(&out[static_cast<size_t>((g * nb + b) * kQ8ScaleRows + j)], &blocks[b].d,
                      sizeof(uint16_t));
        }
      }
    }
  });
  return out;
}

}  // namespace hydra::engine
