#pragma once
// Q8_0 block scales laid out for the AVX-512 matrix-vector product: for
// every group of 16 rows and every block column, the 16 rows' f16 scales
// side by side (rows past the end of the matrix repeat its last row). The
// product then loads a block column's scales with one 32-byte load; read
// from the blocks themselves they take a gather, which on some CPUs costs
// more than the block's sixteen dot products. 2 bytes per 34 of weights.
#include <cstdint>
#include <vector>

#include "engine/kernels/kernels.h"

namespace hydra::engine {

constexpr int64_t kQ8ScaleRows = 16;

// The table for a Q8_0 matrix (built on the compute pool); empty for any
// other type.
std::vector<uint16_t> build_q8_scales(const MatrixRef& w);

// Where the scales of rows [r, r + 16) and block column `b` start; `r` must
// be a multiple of 16.
inline const uint16_t* q8_scales_at(const MatrixRef& w, int64_t r, int64_t b) {
  const int64_t nb = w.cols / kQK;
  return w.q8_scales + ((r / kQ8ScaleRows) * nb + b) * kQ8ScaleRows;
}

}  // namespace hydra::engine
