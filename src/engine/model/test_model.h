#pragma once
// Random-weight test models with real vocabularies: the models the engine's
// tests and benchmarks run, written as GGUF or as a Hugging Face directory.
// The weights are a pure function of the options (the seed included), so
// the GGUF and the safetensors form of the same options hold the same model.
//
// This is what `hydra engine make-test-model` calls.
#include <cstdint>
#include <string>

#include "engine/format/ggml_types.h"

namespace hydra::engine {

enum class TestModelFormat {
  kGguf,         // `path` is the .gguf file to write
  kSafetensors,  // `path` is a directory: config.json, model.safetensors,
                 // tokenizer.json, tokenizer_config.json
};

struct TestModelOptions {
  std::string arch = "llama";  // llama | qwen2 | qwen3 | bert
  int64_t layers = 2;
  int64_t hidden = 64;
  int64_t intermediate = 0;  // 0: 2 * hidden
  int64_t heads = 4;
  int64_t kv_heads = 0;  // 0: heads / 2 (grouped-query attention), heads for bert
  int64_t head_dim = 0;  // 0: hidden / heads
  // Matrices are stored in this type (quantized types only in GGUF; the
  // safetensors form takes f32, f16 or bf16). Norm weights and biases are
  // F32 in GGUF, rounded to this type's precision so both forms agree.
  GgmlType type = GgmlType::kF32;
  std::string vocab_path;          // a GGUF with tokenizer.ggml.* (e.g. a vocab-only file)
  std::string chat_template_path;  // optional .jinja; default: the vocab file's own template
  uint64_t seed = 1;
  float rope_theta = 10000.0f;
  float rope_linear_scale = 0.0f;  // > 1 writes linear RoPE scaling
  int tie_embeddings = -1;         // -1: the family's habit (qwen2 ties), 0 or 1 forces
  int64_t context_length = 2048;
  float norm_eps = 1e-6f;
};

// Writes the model. Bad options (unknown arch, sizes that do not divide,
// a type the format cannot hold, a vocabulary without tokenizer metadata)
// throw ApiError (PARAM_ERROR); unreadable inputs throw FormatError.
void make_test_model(const std::string& path, const TestModelOptions& options,
                     TestModelFormat format);

}  // namespace hydra::engine
