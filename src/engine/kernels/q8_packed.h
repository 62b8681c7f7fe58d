#pragma once
// A matrix of a type with int8 products (Q8_0, Q4_0, Q5_0, Q5_1, Q4_K,
// Q6_K) repacked for the SIMD int8 products, so that a
// product reads it as one linear stream and needs no transposition: per
// group of 16 rows, first every block column's 16 f16 scales (32 bytes a
// block, the region padded to 64 bytes), then per block column its weights
// in 64-byte vectors holding the 16 rows' 4 bytes (row r of the group in
// int32 lane r). The same size as the file's blocks (34 or 18 bytes per 32
// weights). Rows past the end of the matrix are zero weights with zero
// scales.
//
// Q8_0: 8 quads of 4 weights, stored as w + 128 (w ^ 0x80), the unsigned
// operand vpdpbusd wants, so a block column of 16 rows is 8 loads and 8
// vpdpbusd against the activation quads broadcast; subtracting 128 times
// the activations' block sum gives the exact int32 block sums. (AVX2 reads
// a quad as two ymm halves of 8 rows and undoes the + 128.)
//
// Q4_0: 4 vectors; vector c holds each row's bytes 4c .. 4c+3 of the file's
// block, whose low nibbles are weights 4c .. 4c+3 (quad c) and high nibbles
// weights 16+4c .. 16+4c+3 (quad c+4). A mask and a shift give two vectors
// of unsigned weights q in 0..15 (the weight is d * (q - 8)), multiplied as
// they are; subtracting 8 times the activations' block sum gives the exact
// block sums of (q - 8) * x.
//
// Q4_K and Q6_K: per super-block column (8 blocks of 32), a 320-byte header,
// then per block of 32 the 4 nibble vectors of Q4_0's layout (Q4_K's q, or
// Q6_K's low 4 bits), and for Q6_K 2 more vectors with the high 2 bits:
// vector e's byte i of a row holds, in bits 2k and 2k + 1, the high bits of
// weight 16e + 4k + i (so quad 4e + k's high bits are one shift and mask
// away). Header, row r in lane r: Q4_K 16 f16 d, 16 f16 dmin, then per
// block 16 bytes of 6-bit scales and per block 16 of mins; Q6_K 16 f16 d,
// then per 16 weights 16 int8 scales. The integers are the file's, the
// scales too, so the products are the reference's (int8_dot_ref.h).
//
// Q5_0 and Q5_1: like Q4_0, the d region (and for Q5_1 then an m region of
// the same form), then per block 5 vectors: Q4_0's 4 of low nibbles and one
// of fifth bits, byte i of a row holding in bit k the fifth bit of weight
// 4k + i (quad k's).
#include <cstddef>
#include <cstdint>
#include <memory>

#include "engine/kernels/kernels.h"

// The inline functions are static: the SIMD kernel files include this
// header with their own -m flags, and no copy of theirs may be the one
// another file links to.

namespace hydra::engine {

constexpr int64_t kQ8PackRows = 16;
constexpr int64_t kQ8PackQuadBytes = 64;                     // one quad of 16 rows
constexpr int64_t kQ8PackBlockBytes = 8 * kQ8PackQuadBytes;  // one Q8_0 block column of 16 rows
constexpr int64_t kQ4PackBlockBytes = 4 * kQ8PackQuadBytes;  // one Q4_0 block column of 16 rows
// K-quants, per super-block column of 16 rows: the header, then 8 blocks.
constexpr int64_t kKPackHeaderBytes = 320;
constexpr int64_t kQ6PackBlockBytes = 6 * kQ8PackQuadBytes;  // nibbles, then high bits
constexpr int64_t kQ5PackBlockBytes = 5 * kQ8PackQuadBytes;  // nibbles, then fifth bits
constexpr int64_t kQ4KPackSuperBytes = kKPackHeaderBytes + 8 * kQ4PackBlockBytes;
constexpr int64_t kQ6KPackSuperBytes = kKPackHeaderBytes + 8 * kQ6PackBlockBytes;
// Header offsets: Q4_K's dmin, scales and mins; Q6_K's scales.
constexpr int64_t kQ4KPackDmin = 32, kQ4KPackScales = 64, kQ4KPackMins = 192;
constexpr int64_t kQ6KPackScales = 32;

// Whether a type has the packed layout.
static inline bool has_packed_layout(GgmlType type) {
  return has_int8_product(type);
}

// Bytes of one block column of 16 rows (Q8_0, Q4_0, Q5_0, Q5_1).
static inline int64_t pack_block_bytes(GgmlType type) {
  if (type == GgmlType::kQ4_0) return kQ4PackBlockBytes;
  if (type == GgmlType::kQ5_0 || type == GgmlType::kQ5_1) return kQ5PackBlockBytes;
  return kQ8PackBlockBytes;
}

// Bytes of a group's scale region and of a whole group, for nb block columns
// of 32.
static inline int64_t q8_pack_scale_bytes(int64_t nb) {
  return (nb * kQ8PackRows * 2 + 63) / 64 * 64;
}
static inline int64_t q8_pack_group_bytes(GgmlType type, int64_t nb) {
  if (type == GgmlType::kQ4_K) return nb / 8 * kQ4KPackSuperBytes;
  if (type == GgmlType::kQ6_K) return nb / 8 * kQ6KPackSuperBytes;
  const int64_t regions = type == GgmlType::kQ5_1 ? 2 : 1;
  return regions * q8_pack_scale_bytes(nb) + nb * pack_block_bytes(type);
}

// Where the group holding row r starts (w.packed must be set).
static inline const uint8_t* q8_pack_group(const MatrixRef& w, int64_t r) {
  return w.packed + (r / kQ8PackRows) * q8_pack_group_bytes(w.type, w.cols / kQK);
}

// Group g's first row, and the lanes [lo, hi) of it inside rows [r0, r1).
struct Q8GroupRows {
  int64_t first, lo, hi;
};
static inline Q8GroupRows q8_group_rows(int64_t g, int64_t r0, int64_t r1) {
  const int64_t first = g * kQ8PackRows;
  return {first, r0 > first ? r0 - first : 0, r1 - first < kQ8PackRows ? r1 - first : kQ8PackRows};
}

struct FreeDeleter {
  void operator()(uint8_t* p) const;
};
using WeightBytes = std::unique_ptr<uint8_t, FreeDeleter>;

// Bytes of the packed copy of a matrix (a multiple of 64).
size_t q8_packed_size(const MatrixRef& w);
// Memory for weights (packed copies and others): 64-byte aligned, in huge
// pages where the kernel gives them (the products stream it for every
// token; 2 MB pages spare a TLB miss every 4 KB).
WeightBytes alloc_weight_memory(size_t bytes);
// Writes the packed copy of a matrix of a type with the layout to dst (q8_packed_size
// bytes, 64-byte aligned), on the compute pool.
void pack_q8_matrix(const MatrixRef& w, uint8_t* dst);
// The same into memory of its own; null for a type without the layout.
WeightBytes pack_q8_matrix(const MatrixRef& w);

// Row r of a packed matrix as floats (the stored row's values, exact), for
// embedding lookups.
void q8_packed_row_to_f32(const MatrixRef& w, int64_t r, float* out);

}  // namespace hydra::engine
