#include "engine/kernels/q8_packed.h"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>

#include "engine/format/ggml_types.h"
#include "engine/format/quant.h"
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
        const int8_t q = blk != nullptr ? blk->qs[i] : int8_t{0};
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

// Q4_0's nibble layout for 32 integers q[i] in 0..15 of one lane.
void put_nibbles(const int* q, uint8_t* block, int64_t lane) {
  for (int64_t i = 0; i < 16; ++i) {
    block[(i / 4) * kQ8PackQuadBytes + lane * 4 + i % 4] =
        static_cast<uint8_t>(q[i] | (q[i + 16] << 4));
  }
}

void put_f16(uint8_t* at, uint16_t v) {
  std::memcpy(at, &v, 2);
}

// Rows past the end: zero scales, d and dmin (so zero weights).
void pack_group_q4_k(const MatrixRef& w, int64_t g, uint8_t* dst) {
  const int64_t supers = w.cols / kQK_K;
  std::memset(dst, 0, static_cast<size_t>(supers * kQ4KPackSuperBytes));
  for (int64_t lane = 0; lane < kQ8PackRows; ++lane) {
    const int64_t r = g * kQ8PackRows + lane;
    if (r >= w.rows) continue;
    for (int64_t s = 0; s < supers; ++s) {
      const BlockQ4_K& blk = reinterpret_cast<const BlockQ4_K*>(w.row(r))[s];
      uint8_t* super = dst + s * kQ4KPackSuperBytes;
      put_f16(super + lane * 2, blk.d);
      put_f16(super + kQ4KPackDmin + lane * 2, blk.dmin);
      for (int64_t j = 0; j < 8; ++j) {
        q4_k_scale_min(blk.scales, static_cast<int>(j), super + kQ4KPackScales + j * 16 + lane,
                       super + kQ4KPackMins + j * 16 + lane);
        int q[kQK];
        for (int i = 0; i < kQK; ++i) q[i] = q4_k_quant(blk.qs, static_cast<int>(j) * kQK + i);
        put_nibbles(q, super + kKPackHeaderBytes + j * kQ4PackBlockBytes, lane);
      }
    }
  }
}

void pack_group_q6_k(const MatrixRef& w, int64_t g, uint8_t* dst) {
  const int64_t supers = w.cols / kQK_K;
  std::memset(dst, 0, static_cast<size_t>(supers * kQ6KPackSuperBytes));
  for (int64_t lane = 0; lane < kQ8PackRows; ++lane) {
    const int64_t r = g * kQ8PackRows + lane;
    if (r >= w.rows) continue;
    for (int64_t s = 0; s < supers; ++s) {
      const BlockQ6_K& blk = reinterpret_cast<const BlockQ6_K*>(w.row(r))[s];
      uint8_t* super = dst + s * kQ6KPackSuperBytes;
      put_f16(super + lane * 2, blk.d);
      for (int64_t j = 0; j < 16; ++j) {
        super[kQ6KPackScales + j * 16 + lane] = static_cast<uint8_t>(blk.scales[j]);
      }
      for (int j = 0; j < 8; ++j) {
        uint8_t* block = super + kKPackHeaderBytes + j * kQ6PackBlockBytes;
        int low[kQK];
        for (int i = 0; i < kQK; ++i) {
          const int q = q6_k_quant(blk.ql, blk.qh, j * kQK + i);
          low[i] = q & 0x0F;
          uint8_t& hi = block[kQ4PackBlockBytes + (i / 16) * kQ8PackQuadBytes + lane * 4 + i % 4];
          hi = static_cast<uint8_t>(hi | (q >> 4) << (2 * (i % 16 / 4)));
        }
        put_nibbles(low, block, lane);
      }
    }
  }
}

// Rows past the end: zero scales (and offsets), so zero weights.
template <class Block>
void pack_group_q5(const MatrixRef& w, int64_t g, uint8_t* dst) {
  constexpr bool kQ51 = std::is_same_v<Block, BlockQ5_1>;
  const int64_t nb = w.cols / kQK;
  std::memset(dst, 0, static_cast<size_t>(q8_pack_group_bytes(w.type, nb)));
  uint8_t* blocks = dst + (kQ51 ? 2 : 1) * q8_pack_scale_bytes(nb);
  for (int64_t lane = 0; lane < kQ8PackRows; ++lane) {
    for (int64_t b = 0; b < nb; ++b) {
      const Block* blk = block_of<Block>(w, g * kQ8PackRows + lane, b);
      if (blk == nullptr) continue;
      put_f16(dst + (b * kQ8PackRows + lane) * 2, blk->d);
      if constexpr (kQ51)
        put_f16(dst + q8_pack_scale_bytes(nb) + (b * kQ8PackRows + lane) * 2, blk->m);
      int q[kQK], low[kQK];
      unpack_q5(blk->qh, blk->qs, q);
      uint8_t* block = blocks + b * kQ5PackBlockBytes;
      for (int i = 0; i < kQK; ++i) {
        low[i] = q[i] & 0x0F;
        block[kQ4PackBlockBytes + lane * 4 + i % 4] |= static_cast<uint8_t>((q[i] >> 4) << (i / 4));
      }
      put_nibbles(low, block, lane);
    }
  }
}

void pack_group(const MatrixRef& w, int64_t g, uint8_t* dst) {
  switch (w.type) {
    case GgmlType::kQ5_0:
      return pack_group_q5<BlockQ5_0>(w, g, dst);
    case GgmlType::kQ5_1:
      return pack_group_q5<BlockQ5_1>(w, g, dst);
    case GgmlType::kQ4_0:
      return pack_group_q4(w, g, dst);
    case GgmlType::kQ4_K:
      return pack_group_q4_k(w, g, dst);
    case GgmlType::kQ6_K:
      return pack_group_q6_k(w, g, dst);
    default:
      return pack_group_q8(w, g, dst);
  }
}

// Q4_0's nibble layout read back: integer i (0..31) of a lane.
int nibble(const uint8_t* block, int64_t lane, int64_t i) {
  const uint8_t byte = block[(i % 16 / 4) * kQ8PackQuadBytes + lane * 4 + i % 4];
  return i < 16 ? byte & 0x0F : byte >> 4;
}

float f16_at(const uint8_t* at) {
  uint16_t v;
  std::memcpy(&v, at, 2);
  return fp16_to_fp32(v);
}

// A K-quant row read back, as dequantize_row computes it.
void k_packed_row_to_f32(const MatrixRef& w, int64_t r, float* out) {
  const int64_t lane = r % kQ8PackRows, supers = w.cols / kQK_K;
  const bool q6 = w.type == GgmlType::kQ6_K;
  const int64_t super_bytes = q6 ? kQ6KPackSuperBytes : kQ4KPackSuperBytes;
  for (int64_t s = 0; s < supers; ++s) {
    const uint8_t* super = q8_pack_group(w, r) + s * super_bytes;
    const float d = f16_at(super + lane * 2);
    for (int64_t i = 0; i < kQK_K; ++i) {
      const int64_t j = i / kQK;
      if (q6) {
        const uint8_t* block = super + kKPackHeaderBytes + j * kQ6PackBlockBytes;
        const int64_t k = i % kQK;
        const uint8_t hi =
            block[kQ4PackBlockBytes + (k / 16) * kQ8PackQuadBytes + lane * 4 + k % 4];
        const int q = nibble(block, lane, k) | ((hi >> (2 * (k % 16 / 4))) & 3) << 4;
        const auto sc = static_cast<int8_t>(super[kQ6KPackScales + (i / 16) * 16 + lane]);
        out[s * kQK_K + i] = d * static_cast<float>(sc) * static_cast<float>(q - 32);
      } else {
        const uint8_t* block = super + kKPackHeaderBytes + j * kQ4PackBlockBytes;
        const float scale = d * static_cast<float>(super[kQ4KPackScales + j * 16 + lane]);
        const float offset = f16_at(super + kQ4KPackDmin + lane * 2) *
                             static_cast<float>(super[kQ4KPackMins + j * 16 + lane]);
        out[s * kQK_K + i] = scale * static_cast<float>(nibble(block, lane, i % kQK)) - offset;
      }
    }
  }
}

// Weight i of lane `lane` in a packed block column, as the file's integer
// (q for Q8_0, q - 8 for Q4_0).
int packed_weight(GgmlType type, const uint8_t* block, int64_t lane, int64_t i) {
  if (type == GgmlType::kQ4_0) return nibble(block, lane, i) - 8;
  const uint8_t u = block[(i / 4) * kQ8PackQuadBytes + lane * 4 + i % 4];
  return static_cast<int8_t>(u ^ 0x80);
}

// A Q5_0 or Q5_1 row read back, as dequantize_row computes it.
void q5_packed_row_to_f32(const MatrixRef& w, int64_t r, float* out) {
  const int64_t nb = w.cols / kQK, lane = r % kQ8PackRows;
  const bool q51 = w.type == GgmlType::kQ5_1;
  const uint8_t* group = q8_pack_group(w, r);
  const uint8_t* blocks = group + (q51 ? 2 : 1) * q8_pack_scale_bytes(nb);
  for (int64_t b = 0; b < nb; ++b) {
    const float d = f16_at(group + (b * kQ8PackRows + lane) * 2);
    const uint8_t* block = blocks + b * kQ5PackBlockBytes;
    for (int64_t i = 0; i < kQK; ++i) {
      const int fifth = (block[kQ4PackBlockBytes + lane * 4 + i % 4] >> (i / 4)) & 1;
      const int q = nibble(block, lane, i) | fifth << 4;
      if (q51) {
        const float m = f16_at(group + q8_pack_scale_bytes(nb) + (b * kQ8PackRows + lane) * 2);
        out[b * kQK + i] = d * static_cast<float>(q) + m;
      } else {
        out[b * kQK + i] = d * static_cast<float>(q - 16);
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
  if (w.type == GgmlType::kQ4_K || w.type == GgmlType::kQ6_K) {
    k_packed_row_to_f32(w, r, out);
    return;
  }
  if (w.type == GgmlType::kQ5_0 || w.type == GgmlType::kQ5_1) {
    q5_packed_row_to_f32(w, r, out);
    return;
  }
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
