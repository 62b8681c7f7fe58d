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

// Row r's block b of a Q4_0 or Q8_0 matrix, or null past the last row.
template <class Block>
const Block* block_of(const MatrixRef& w, int64_t r, int64_t b) {
  return r < w.rows ? reinterpret_cast<const Block*>(w.row(r)) + b : nullptr;
}

void pack_group_q8(const MatrixRef& w, int64_t g, uint8_t* dst) {
  const int64_t nb = w.cols / kQK;
  uint8_t* quads = dst + q8_pack_scale_bytes(nb);
  for (int64_t lane = 0; lane < kQ8PackRows; ++lane) {
    for (int64_t b = 0; b < nb; ++b) {
      const BlockQ8_0* blk = block_of<BlockQ8_0>(w, g * kQ8PackRows + lane, b);
      const uint16_t d = blk != nullptr ? blk->d : 0;
      std::memcpy(dst + (b * kQ8PackRows + lane) * 2, &d, 2);
      for (int64_t i = 0; i < kQK; ++i) {
        const int8_t q = blk != nullptr ? blk->qs[i] : 0;
        quads[b * kQ8PackBlockBytes + (i / 4) * kQ8PackQuadBytes + lane * 4 + i % 4] =
            static_cast<uint8_t>(q) ^ 0x80;
      }
    }
  }
}

// Rows past the end get nibbles of 8 (weight 0) and a zero scale.
void pack_group_q4(const MatrixRef& w, int64_t g, uint8_t* dst) {
  const int64_t nb = w.cols / kQK;
  uint8_t* vecs = dst + q8_pack_scale_bytes(nb);
  for (int64_t lane = 0; lane < kQ8PackRows; ++lane) {
    for (int64_t b = 0; b < nb; ++b) {
      const BlockQ4_0* blk = block_of<BlockQ4_0>(w, g * kQ8PackRows + lane, b);
      const uint16_t d = blk != nullptr ? blk->d : 0;
      std::memcpy(dst + (b * kQ8PackRows + lane) * 2, &d, 2);
      for (int64_t c = 0; c < 4; ++c) {
        uint8_t* out = vecs + b * kQ4PackBlockBytes + c * kQ8PackQuadBytes + lane * 4;
        if (blk != nullptr) {
          std::memcpy(out, blk->qs + c * 4, 4);
        } else {
          std::memset(out, 0x88, 4);
        }
      }
    }
  }
}

void pack_group(const MatrixRef& w, int64_t g, uint8_t* dst) {
  if (w.type == GgmlType::kQ4_0) {
    pack_group_q4(w, g, dst);
  } else {
    pack_group_q8(w, g, dst);
  }
}

// Weight i of lane `lane` in a packed block column, as the file's integer
// (q for Q8_0, q - 8 for Q4_0).
int packed_weight(GgmlType type, const uint8_t* block, int64_t lane, int64_t i) {
  if (type == GgmlType::kQ4_0) {
    const uint8_t byte = block[(i % 16 / 4) * kQ8PackQuadBytes + lane * 4 + i % 4];
    return (i < 16 ? byte & 0x0F : byte >> 4) - 8;
  }
  const uint8_t u = block[(i / 4) * kQ8PackQuadBytes + lane * 4 + i % 4];
  return static_cast<int8_t>(u ^ 0x80);
}

}  // namespace

void FreeDeleter::operator()(uint8_t* p) const {
  std::free(p);
}

size_t q8_packed_size(const MatrixRef& w) {
  const int64_t groups = (w.rows + kQ8PackRows - 1) / kQ8PackRows;
  return static_cast<size_t>(groups * q8_pack_group_bytes(w.type, w.cols / kQK));
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
  const auto group_bytes = static_cast<size_t>(q8_pack_group_bytes(w.type, w.cols / kQK));
  parallel_for(groups, 8, [&](int64_t g0, int64_t g1) {
    for (int64_t g = g0; g < g1; ++g) pack_group(w, g, dst + static_cast<size_t>(g) * group_bytes);
  });
}

WeightBytes pack_q8_matrix(const MatrixRef& w) {
  if (!has_packed_layout(w.type) || w.rows <= 0) return nullptr;
  WeightBytes out = alloc_weight_memory(q8_packed_size(w));
  pack_q8_matrix(w, out.get());
  return out;
}

void q8_packed_row_to_f32(const MatrixRef& w, int64_t r, float* out) {
  const int64_t nb = w.cols / kQK, lane = r % kQ8PackRows;
  const uint8_t* group = q8_pack_group(w, r);
  const uint8_t* blocks = group + q8_pack_scale_bytes(nb);
  for (int64_t b = 0; b < nb; ++b) {
    uint16_t d;
    std::memcpy(&d, group + (b * kQ8PackRows + lane) * 2, 2);
    const float scale = fp16_to_fp32(d);
    const uint8_t* block = blocks + b * pack_block_bytes(w.type);
    for (int64_t i = 0; i < kQK; ++i) {
      out[b * kQK + i] = scale * static_cast<float>(packed_weight(w.type, block, lane, i));
    }
  }
}

}  // namespace hydra::engine
