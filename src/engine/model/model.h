#pragma once
// A loaded model: its configuration and its weights, copied into memory of
// its own or pointing into the mapped GGUF or safetensors files that the
// model keeps open.
#include <any>
#include <memory>
#include <string>
#include <vector>

#include "engine/format/model_config.h"
#include "engine/model/weight.h"

namespace hydra::engine {

enum class Arch { kLlama, kQwen2, kQwen3, kBert };

// Where a file puts the two halves of each rotated pair in q and k.
//  kNeox:        (i, i + head_dim/2) — Hugging Face checkpoints, GGUF qwen2/qwen3.
//  kInterleaved: (2i, 2i + 1)        — GGUF llama (its converter permutes the rows).
enum class RopeLayout { kNeox, kInterleaved };

enum class Pooling { kNone, kMean, kCls };

struct LayerWeights {
  std::vector<float> attn_norm, attn_norm_b;  // bert: attn_output_norm (after attention)
  Weight wq, wk, wv, wo;
  std::vector<float> bq, bk, bv, bo;        // empty when the architecture has none
  std::vector<float> q_norm, k_norm;        // qwen3, per head_dim
  std::vector<float> ffn_norm, ffn_norm_b;  // bert: layer_output_norm
  Weight ffn_gate, ffn_up, ffn_down;
  std::vector<float> b_up, b_down;  // bert
};

struct Model {
  ModelConfig config;
  Arch arch = Arch::kLlama;
  RopeLayout rope_layout = RopeLayout::kNeox;
  Pooling default_pooling = Pooling::kMean;  // encoders

  Weight token_embd;
  Weight output;  // the same as token_embd when tied
  std::vector<float> output_norm;
  std::vector<LayerWeights> layers;

  // bert
  Weight position_embd, token_types;
  std::vector<float> embd_norm, embd_norm_b;

  // What the streamed matrices' data (or, packed quantized ones, `packed`) point
  // into: one allocation in huge pages (model_loader.cpp).
  std::shared_ptr<const uint8_t> resident_weights;

  std::string source;   // "gguf" or "safetensors"
  std::any keep_alive;  // the parsed file(s) whose mappings the weights point into

  int64_t n_embd() const { return config.hidden_size; }
  int64_t n_head() const { return config.num_attention_heads; }
  int64_t n_head_kv() const { return config.num_key_value_heads; }
  int64_t head_dim() const { return config.head_dim; }
  int64_t n_vocab() const { return token_embd.rows; }
  bool is_encoder() const { return arch == Arch::kBert; }
};

// Loads a GGUF file, or a Hugging Face directory (config.json +
// model.safetensors or a sharded index). Unsupported architectures, missing
// tensors and wrong shapes throw FormatError naming what is wrong.
std::unique_ptr<Model> load_model(const std::string& path);

}  // namespace hydra::engine
