// The scalar kernels: the reference every SIMD table is tested against, and
// the path for CPUs without AVX2. Sums are accumulated in double.
#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/format/quant.h"
#include "engine/kernels/act_quant.h"
#include "engine/kernels/int8_dot_ref.h"
#include "engine/kernels/kernels.h"

namespace hydra::engine {
namespace {

void rows_to_f32(const MatrixRef& w, int64_t r0, int64_t r1, float* out) {
  for (int64_t r = r0; r < r1; ++r, out += w.cols) dequantize_row(w.type, w.row(r), out, w.cols);
}

// The one sum every scalar kernel uses, so the matrix-vector and the
// matrix-matrix product give the same bits for the same row.
double dot_double(const float* a, const float* b, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

void matvec(const MatrixRef& w, const float* x, float* y, int64_t r0, int64_t r1) {
  thread_local std::vector<float> row;
  row.resize(static_cast<size_t>(w.cols));
  for (int64_t r = r0; r < r1; ++r) {
    rows_to_f32(w, r, r + 1, row.data());
    y[r] = static_cast<float>(dot_double(row.data(), x, w.cols));
  }
}

void gemm_nt(const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc,
             int64_t m, int64_t n, int64_t k) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      c[i * ldc + j] = static_cast<float>(dot_double(b + j * ldb, a + i * lda, k));
    }
  }
}

float dot(const float* a, const float* b, int64_t n) {
  return static_cast<float>(dot_double(a, b, n));
}

void softmax(float* x, int64_t n, float scale) {
  if (n <= 0) return;
  float mx = x[0] * scale;
  for (int64_t i = 0; i < n; ++i) mx = std::max(mx, x[i] * scale);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] * scale - mx);
    sum += x[i];
  }
  const auto inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void swiglu(const float* gate, const float* up, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void f32_to_f16(const float* x, uint16_t* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = fp32_to_fp16(x[i]);
}

void matvec_q8(const MatrixRef& w, const Q8Acts& x, int64_t t, float* y, int64_t r0, int64_t r1) {
  int8_ref::matvec(w, x, t, y, r0, r1);
}

void gemm_q8(const MatrixRef& w, const Q8Acts& x, float* y, int64_t ldy, int64_t r0, int64_t r1) {
  for (int64_t t = 0; t < x.rows; ++t) matvec_q8(w, x, t, y + t * ldy, r0, r1);
}

void pack_q8(const Q8Acts&, int64_t, int64_t) {}

}  // namespace

const KernelTable& scalar_kernel_table() {
  static const KernelTable table{.name = "scalar",
                                 .matvec = matvec,
                                 .rows_to_f32 = rows_to_f32,
                                 .gemm_nt = gemm_nt,
                                 .dot = dot,
                                 .softmax = softmax,
                                 .f32_to_f16 = f32_to_f16,
                                 .swiglu = swiglu,
                                 .matvec_q8 = matvec_q8,
                                 .gemm_q8 = gemm_q8,
                                 .pack_q8 = pack_q8,
                                 .matvec_multi = nullptr,
                                 .quantize_q8 = quantize_activations,
                                 .reads_packed = false};
  return table;
}

}  // namespace hydra::engine
