#include "engine/kernels/q8_packed.h"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include "engine/format/ggml_types.h"
#include "engine/kernels/matmul.h"

namespace hydra::engine {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;

void pack_group(const MatrixRef& w, int64_t g, uint8_t* dst) {
  const int64_t nb = w.cols / kQK;
  uint8_t* quads = dst + q8_pack_scale_bytes(nb);
  for (int64_t lane = 0; lane < kQ8PackRows; ++lane) {
    const int64_t r = g * kQ8PackRows + lane;
    const auto* blocks = r < w.rows ? reinterpret_cast<const BlockQ8_0*>(w.row(r)) : nullptr;
    for (int64_t b = 0; b < nb; ++b) {
      const uint16_t d = blocks != nullptr ? blocks[b].d : 0;
      std::memcpy(dst + (b * kQ8PackRows + lane) * 2, &d, 2);
      for (int64_t i = 0; i < kQK; ++i) {
        const int8_t q = blocks != nullptr ? blocks[b].qs[i] : 0;
        quads[b * kQ8PackBlockBytes + (i / 4) * kQ8PackQuadBytes + lane * 4 + i % 4] =
            static_cast<uint8_t>(q) ^ 0x80;
      }
    }
  }
}

}  // namespace

void FreeDeleter::operator()(uint8_t* p) const {
  std::free(p);
}

size_t q8_packed_size(const MatrixRef& w) {
  const int64_t groups = (w.rows + kQ8PackRows - 1) / kQ8PackRows;
  return static_cast<size_t>(groups * q8_pack_group_bytes(w.cols / kQK));
}

WeightBytes alloc_weight_memory(size_t bytes) {
  bytes = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  auto* out = static_cast<uint8_t*>(std::aligned_alloc(kHugePage, bytes));
  if (out == nullptr) throw std::bad_alloc();
  ::madvise(out, bytes, MADV_HUGEPAGE);  // a hint: without it the copy still works
  return WeightBytes(out);
}

void pack_q8_matrix(const MatrixRef& w, uint8_t* dst) {
  const int64_t groups = (w.rows + kQ8PackRows - 1) / kQ8PackRows;
  const auto group_bytes = static_cast<size_t>(q8_pack_group_bytes(w.cols / kQK));
  parallel_for(groups, 8, [&](int64_t g0, int64_t g1) {
    for (int64_t g = g0; g < g1; ++g) pack_group(w, g, dst + static_cast<size_t>(g) * group_bytes);
  });
}

WeightBytes pack_q8_matrix(const MatrixRef& w) {
  if (w.type != GgmlType::kQ8_0 || w.rows <= 0) return nullptr;
  WeightBytes out = alloc_weight_memory(q8_packed_size(w));
  pack_q8_matrix(w, out.get());
  return out;
}

void q8_packed_row_to_f32(const MatrixRef& w, int64_t r, float* out) {
  const int64_t nb = w.cols / kQK, lane = r % kQ8PackRows;
  const uint8_t* group = q8_pack_group(w, r);
  const uint8_t* quads = group + q8_pack_scale_bytes(nb);
  for (int64_t b = 0; b < nb; ++b) {
    uint16_t d;
    std::memcpy(&d, group + (b * kQ8PackRows + lane) * 2, 2);
    const float scale = fp16_to_fp32(d);
    for (int64_t i = 0; i < kQK; ++i) {
      const uint8_t u =
          quads[b * kQ8PackBlockBytes + (i / 4) * kQ8PackQuadBytes + lane * 4 + i % 4];
      out[b * kQK + i] = scale * static_cast<float>(static_cast<int8_t>(u ^ 0x80));
    }
  }
}

}  // namespace hydra::engine
