#pragma once
// The compute kernels of the engine, as a table of plain functions. One
// table per instruction set (scalar, AVX2 + FMA, AVX-512); the table in use
// is picked once from the CPU's features, or forced with the environment
// variable HYDRA_ENGINE_KERNELS=scalar|avx2|avx512|avx512_vnni (or set_kernel_path in
// tests). Every SIMD table is tested against the scalar one.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "engine/format/ggml_types.h"

namespace hydra::engine {

// A matrix as a model file stores it: `rows` rows of `cols` elements of
// `type`, `row_bytes` apart.
struct MatrixRef {
  GgmlType type = GgmlType::kF32;
  int64_t rows = 0;
  int64_t cols = 0;
  size_t row_bytes = 0;
  const uint8_t* data = nullptr;
  // Types with int8 products only, optional: the matrix repacked for the
  // SIMD int8 products (q8_packed.h); the tables that read it read nothing
  // else.
  const uint8_t* packed = nullptr;

  const uint8_t* row(int64_t r) const { return data + static_cast<size_t>(r) * row_bytes; }
};

// Activation rows quantized to int8 blocks of 32 (act_quant.h) for products
// with Q8_0 weights. qs: rows x cols int8; d: rows x cols/32 scales.
// `packed`, `packed_d` and `packed_sum` are filled by the table's pack_q8
// for its gemm_q8 (the AVX-512 VNNI layout: per group of kQ8Group rows, per
// 4 columns, the rows' 4 bytes; scales and 128 * block sums per group and
// block, row fastest).
constexpr int64_t kQ8Group = 16;
struct Q8Acts {
  int64_t rows = 0;
  int64_t cols = 0;
  const int8_t* qs = nullptr;
  const float* d = nullptr;
  // rows x cols/32: 128 times each block's sum of qs (what weights stored
  // as w + 128 add to a block's dot product; see q8_packed.h).
  const int32_t* sum128 = nullptr;
  uint8_t* packed = nullptr;
  float* packed_d = nullptr;
  int32_t* packed_sum = nullptr;
};

struct KernelTable {
  const char* name;
  // y[r] = dot(row r of w, x) for r in [r0, r1). Streams the rows once.
  void (*matvec)(const MatrixRef& w, const float* x, float* y, int64_t r0, int64_t r1);
  // Rows [r0, r1) of w as floats, one after another (w.cols apart).
  void (*rows_to_f32)(const MatrixRef& w, int64_t r0, int64_t r1, float* out);
  // c[i*ldc + j] = sum_k a[i*lda + k] * b[j*ldb + k], i < m, j < n: both
  // operands have k contiguous (activations times a weight panel).
  void (*gemm_nt)(const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc,
                  int64_t m, int64_t n, int64_t k);
  float (*dot)(const float* a, const float* b, int64_t n);
  // x = softmax(x * scale) over n values.
  void (*softmax)(float* x, int64_t n, float scale);
  void (*f32_to_f16)(const float* x, uint16_t* out, int64_t n);
  // out[i] = silu(gate[i]) * up[i] (out may be gate). Each value is computed
  // the same way wherever it lies in the range (no scalar tails), so a
  // batch gives the bits of its rows alone.
  void (*swiglu)(const float* gate, const float* up, float* out, int64_t n);
  // Rows [r0, r1) of w (a type with int8 products: has_int8_product) times
  // quantized activation row t of x: y[r]. Every table computes the same
  // bits: exact int32 sums per block of the weights' integers times the
  // activations', then fixed float steps block after block from 0, for Q8_0
  // acc = fma(float(sum), d_w * d_x, acc) (int8_dot_ref.h has every type's).
  void (*matvec_q8)(const MatrixRef& w, const Q8Acts& x, int64_t t, float* y, int64_t r0,
                    int64_t r1);
  // The same for every row of x: y[t * ldy + r], t < x.rows.
  void (*gemm_q8)(const MatrixRef& w, const Q8Acts& x, float* y, int64_t ldy, int64_t r0,
                  int64_t r1);
  // Fills x.packed for gemm_q8, groups [g0, g1) of kQ8Group rows (may do
  // nothing when gemm_q8 reads qs directly).
  void (*pack_q8)(const Q8Acts& x, int64_t g0, int64_t g1);
  // matvec for n tokens at once: y[t * ldy + r] = dot(row r of w, x + t *
  // ldx), with the bits of matvec token by token (each row widened once for
  // several tokens). Null where the table has none (matvec per token).
  void (*matvec_multi)(const MatrixRef& w, const float* x, int64_t ldx, int64_t n, float* y,
                       int64_t ldy, int64_t r0, int64_t r1);
  // quantize_activations (act_quant.h) with this table's instructions; every
  // table writes the same bytes (the same IEEE operations in the same order,
  // tested), which keeps the products of all tables bit-identical.
  void (*quantize_q8)(const float* x, int64_t ldx, int64_t cols, int64_t r0, int64_t r1, int8_t* qs,
                      float* d, int32_t* sum128);
  // BF16 weights times activations rounded to bf16 (`f32_to_bf16`, round to
  // nearest even): y[t * ldy + r] for t < n_tok, xb n_tok rows of w.cols
  // values. The same bits for a token whatever n_tok. Null where a table
  // widens BF16 weights to floats instead (matvec and the others).
  void (*gemm_bf16)(const MatrixRef& w, const uint16_t* xb, int64_t n_tok, float* y, int64_t ldy,
                    int64_t r0, int64_t r1) = nullptr;
  void (*f32_to_bf16)(const float* x, uint16_t* out, int64_t n) = nullptr;
  // Whether matvec_q8 and gemm_q8 read MatrixRef::packed where a matrix
  // has it (a loader only packs matrices for such a table).
  bool reads_packed = false;
};

// Whether a type's products are int8 dot products with the activations
// quantized (matvec_q8, gemm_q8).
inline bool has_int8_product(GgmlType type) {
  return type == GgmlType::kQ8_0 || type == GgmlType::kQ4_0 || type == GgmlType::kQ5_0 ||
         type == GgmlType::kQ5_1 || type == GgmlType::kQ4_K || type == GgmlType::kQ6_K;
}

// Whether the tables multiply a type straight from its stored rows (F32,
// F16, BF16, and the int8 products); the other types are decoded to floats
// a piece at a time and then multiplied.
inline bool has_direct_kernel(GgmlType type) {
  return type == GgmlType::kF32 || type == GgmlType::kF16 || type == GgmlType::kBF16 ||
         has_int8_product(type);
}

enum class KernelPath { kScalar, kAvx2, kAvx512, kAvx512Vnni, kAvx512Bf16 };

std::string_view kernel_path_name(KernelPath path);
std::optional<KernelPath> kernel_path_from_name(std::string_view name);
// Whether this CPU runs the path.
bool kernel_path_supported(KernelPath path);
// The best path this CPU runs (avx512_bf16 only when forced: README).
KernelPath best_kernel_path();

// The table of a path (the CPU must support it).
const KernelTable& kernel_table(KernelPath path);
// The table in use: HYDRA_ENGINE_KERNELS if set (an unsupported or unknown
// value is an error at first use), else the best path.
const KernelTable& kernels();
KernelPath active_kernel_path();
// Forces a path (tests, benchmarks); throws std::invalid_argument if the
// CPU does not support it.
void set_kernel_path(KernelPath path);

// The tables themselves (defined in simd_*.cpp).
const KernelTable& scalar_kernel_table();
const KernelTable& avx2_kernel_table();
const KernelTable& avx512_kernel_table();
// The AVX-512 table with AVX512_VNNI int8 products.
const KernelTable& avx512_vnni_kernel_table();
// The VNNI table with AVX512_BF16 products for BF16 weights.
const KernelTable& avx512_bf16_kernel_table();

}  // namespace hydra::engine
