#pragma once
// Activations quantized to int8 blocks of 32 with one float scale per block
// (the Q8_0 scheme), so a product with Q8_0 weights is integer dot products
// plus one multiply-add per block. Built without SIMD flags on purpose: every
// kernel table sees the same bytes for the same row, which is what keeps the
// matrix-vector and the matrix-matrix product (and so a batch and a sequence
// alone) bit-identical.
#include <cstdint>
#include <vector>

#include "engine/kernels/kernels.h"

namespace hydra::engine {

// Rows [r0, r1) of x (cols a multiple of 32, ldx apart) into qs (cols apart)
// and d (cols / 32 apart): d = max|x| / 127, q = round-to-even(x / d); and
// sum128 (like d): 128 times the sum of each block's q.
void quantize_activations(const float* x, int64_t ldx, int64_t cols, int64_t r0, int64_t r1,
                          int8_t* qs, float* d, int32_t* sum128);

// Storage for Q8Acts: quantized rows plus the buffer a table may pack them
// into (16 rows per group, see Q8Acts).
struct Q8ActsBuffer {
  std::vector<int8_t> qs;
  std::vector<float> d, packed_d;
  std::vector<int32_t> sum128;
  std::vector<uint8_t> packed;
  std::vector<int32_t> packed_sum;

  Q8Acts view(int64_t rows, int64_t cols);
};

}  // namespace hydra::engine
