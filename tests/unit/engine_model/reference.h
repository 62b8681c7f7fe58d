#pragma once
// An independent reference forward pass for the tests: double precision,
// weights dequantized up front, no cache — every call recomputes attention
// over the whole sequence. Written straight from the architecture papers and
// llama.cpp's GGUF conventions, sharing no code with the engine's model.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/format/ggml_types.h"

namespace hydra::engine::test {

class ReferenceModel {
 public:
  // bf16_products: the kernel table under test multiplies BF16 weights by
  // bf16-rounded inputs (KernelTable::gemm_bf16), so the reference rounds
  // them too.
  explicit ReferenceModel(const std::string& gguf_path, bool bf16_products = false);

  // The inputs the engine multiplies a matrix with: int8-rounded for the
  // quantized types, bf16-rounded for BF16 on a table with BF16 products.
  enum class Rounding { kNone, kInt8, kBf16 };

  // Logits of every position of a causal decoder, [n_tokens][n_vocab].
  std::vector<std::vector<double>> logits(const std::vector<int32_t>& tokens) const;
  // Hidden states of an encoder, [n_tokens][n_embd].
  std::vector<std::vector<double>> encode(const std::vector<int32_t>& tokens) const;
  // Greedy continuation by full recomputation.
  std::vector<int32_t> greedy(std::vector<int32_t> tokens, int n_new) const;

  int64_t n_vocab = 0, n_embd = 0;

 private:
  using Mat = std::vector<double>;  // row-major [rows][cols]
  struct Tensor {
    int64_t rows = 0, cols = 0;
    Mat w;
    Rounding rounding = Rounding::kNone;
  };
  struct Layer {
    Tensor attn_norm, q, k, v, o, q_norm, k_norm, ffn_norm, gate, up, down;
    Tensor bq, bk, bv, bo, attn_norm_b, ffn_norm_b, b_up, b_down;
  };
  std::vector<std::vector<double>> decoder_hidden(const std::vector<int32_t>& tokens) const;
  Tensor get(const std::string& name, bool required = true) const;
  std::vector<double> last_hidden_logits(const std::vector<double>& x) const;

  std::string arch_;
  int64_t n_layer_ = 0, n_head_ = 0, n_head_kv_ = 0, head_dim_ = 0;
  double eps_ = 0, theta_ = 10000, scale_ = 1;
  bool interleaved_ = false;
  Tensor embd_, out_, out_norm_, pos_, types_, embd_norm_, embd_norm_b_;
  std::vector<Layer> layers_;
  const void* file_ = nullptr;
  bool bf16_products_ = false;
  std::shared_ptr<const void> keep_;
};

// How far the engine's logits may lie from the reference's. Float weights:
// 1e-3. Types with int8 products round every activation to int8 steps; the
// reference rounds the same way, but a value within a float rounding error
// of a step boundary (the tables' float kernels differ in the last bits)
// lands on the other step on some path, and one such flip moves later
// logits by about 1% of their range. So 3% of the largest |logit| there.
double logit_tolerance(GgmlType type, const std::vector<std::vector<double>>& want);

}  // namespace hydra::engine::test
