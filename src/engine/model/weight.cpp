// Matrix-vector products through the kernels chosen for this CPU.
#include "engine/model/weight.h"

#include "engine/format/quant.h"
#include "engine/kernels/matmul.h"

namespace hydra::engine {

void matvec(const Weight& w, const float* x, float* y) {
  matmul(MatrixRef{w.type, w.rows, w.cols, w.row_bytes, w.data, w.packed}, x, 1, w.cols, y, w.rows);
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
