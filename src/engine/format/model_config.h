#pragma once
// The hyper-parameters of a model, the same struct whether they come from a
// Hugging Face config.json or from GGUF metadata, so the engine builds a
// model one way from either format.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hydra::engine {

struct GgufFile;

struct RopeScaling {
  std::string type;  // "" (none), "linear", or what the file says (e.g. "yarn")
  float factor = 1.0f;
  int64_t original_max_position_embeddings = 0;
};

struct ModelConfig {
  // GGUF-style family name: "llama" (also Mistral), "qwen2", "qwen3", "bert",
  // or the file's own name for anything else.
  std::string architecture;
  std::string model_type;  // config.json "model_type", or GGUF's architecture
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;  // = num_attention_heads when absent
  int64_t head_dim = 0;             // = hidden_size / num_attention_heads when absent
  float rms_norm_eps = 1e-6f;       // also layer_norm_eps for BERT
  float rope_theta = 10000.0f;
  RopeScaling rope_scaling;
  int64_t max_position_embeddings = 0;
  int64_t vocab_size = 0;
  bool tie_word_embeddings = false;
  int64_t bos_token_id = -1;           // -1: none
  std::vector<int64_t> eos_token_ids;  // config.json allows a list
  bool attention_bias = false;         // Qwen2: q/k/v projections have biases
  bool qk_norm = false;                // Qwen3: RMS norm on q and k per head
  int64_t type_vocab_size = 0;         // BERT token types
  bool causal = true;                  // false for encoders
  std::string torch_dtype;
};

// Parses config.json text. Missing required sizes or wrong types throw
// FormatError naming the field.
ModelConfig parse_hf_config(std::string_view json_text);
ModelConfig read_hf_config(const std::string& path);
// From GGUF metadata ({arch}.embedding_length, ...), plus what the tensor
// index implies (tied embeddings when there is no output.weight, Qwen2 biases).
ModelConfig model_config_from_gguf(const GgufFile& file);

}  // namespace hydra::engine
