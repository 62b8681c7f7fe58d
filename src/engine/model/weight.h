#pragma once
// A weight matrix as the file stores it: any computable ggml type, rows of
// `cols` elements: in the file mapping, or in the model's copy in huge pages
// (model_loader.cpp).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/format/ggml_types.h"

namespace hydra::engine {

struct Weight {
  GgmlType type = GgmlType::kF32;
  int64_t rows = 0;  // output features (ggml ne[1])
  int64_t cols = 0;  // input features, contiguous (ggml ne[0])
  size_t row_bytes = 0;
  const uint8_t* data = nullptr;
  const uint8_t* packed = nullptr;  // quantized: kernels/q8_packed.h (owned by the Model)

  bool empty() const { return data == nullptr; }
  const uint8_t* row(int64_t r) const { return data + static_cast<size_t>(r) * row_bytes; }
};

// y[r] = dot(row r of w, x) for every row, on the compute pool with the
// kernels chosen for this CPU (the decoder calls matmul.h directly).
void matvec(const Weight& w, const float* x, float* y);

// Row r of w as floats (embedding lookups).
void weight_row(const Weight& w, int64_t r, float* out);
// A small tensor (norm weights, biases) as floats; rows * cols elements.
std::vector<float> weight_to_f32(const Weight& w);

}  // namespace hydra::engine
