#pragma once
// Pieces shared by the SIMD kernel files. Header-only on purpose: each
// kernel file is compiled with its own -m flags, so nothing here may be
// an out-of-line function another file could end up calling.
#include <cstdint>

#include "engine/format/ggml_types.h"
#include "engine/format/quant.h"

namespace hydra::engine::simd_detail {

// Elements decoded at a time by the generic path for block types without a
// dedicated kernel: a multiple of every block size (32 and 256).
constexpr int64_t kPiece = 256;

// Bytes of `elements` elements of a block type (elements a multiple of the
// block size).
static inline size_t piece_bytes(GgmlType type, int64_t elements) {
  const GgmlTypeInfo& info = type_info(type);
  return static_cast<size_t>(elements / info.block_size) * info.type_size;
}

}  // namespace hydra::engine::simd_detail
