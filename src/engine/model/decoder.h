#pragma once
// The forward pass of the decoder-only architectures (Llama 2/3, Mistral,
// Qwen2/2.5, Qwen3): token by token against a KV cache.
#include <cstdint>
#include <span>
#include <vector>

#include "engine/model/kv_cache.h"
#include "engine/model/model.h"

namespace hydra::engine {

// Runs `tokens` at positions cache.n_past, n_past+1, ... and advances the
// cache. `logits` receives n_vocab values for the last token (may be null);
// `all_logits`, when given, receives n_vocab values for every token.
// A full cache or an id outside the vocabulary throws ApiError (PARAM_ERROR).
void decode(const Model& model, KvCache& cache, std::span<const int32_t> tokens, float* logits,
            std::vector<float>* all_logits = nullptr);

}  // namespace hydra::engine
