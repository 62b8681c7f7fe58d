// Scalar matrix-vector product over the reference dot products of quant.h.
#include "engine/model/weight.h"

#include "engine/format/quant.h"

namespace hydra::engine {

void matvec(const Weight& w, const float* x, float* y) {
  for (int64_t r = 0; r < w.rows; ++r) {
    y[r] = static_cast<float>(dot_row(w.type, w.row(r), x, w.cols));
  }
}

void weight_row(const Weight& w, int64_t r, float* out) {
  dequantize_row(w.type, w.row(r), out, w.cols);
}

std::vector<float> weight_to_f32(const Weight& w) {
  std::vector<float> out(static_cast<size_t>(w.rows * w.cols));
  for (int64_t r = 0; r < w.rows; ++r) weight_row(w, r, out.data() + r * w.cols);
  return out;
}

}  // namespace hydra::engine
