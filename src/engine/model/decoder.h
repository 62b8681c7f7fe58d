#pragma once
// The forward pass of the decoder-only architectures (Llama 2/3, Mistral,
// Qwen2/2.5, Qwen3) over a batch of rows: each row is one token of one
// sequence at one position, so a prompt chunk and the next tokens of many
// sequences run as one set of matrix products.
#include <cstdint>
#include <span>
#include <vector>

#include "engine/model/kv_cache.h"
#include "engine/model/model.h"

namespace hydra::engine {

struct BatchRow {
  KvCache* cache = nullptr;
  int32_t token = 0;
  int64_t pos = 0;          // must be the cache's next position (after earlier rows)
  float* logits = nullptr;  // n_vocab values for this row, or null
};

// Runs the rows (rows of one sequence consecutive, in position order) and
// advances each cache past its rows. Ids outside the vocabulary, positions
// out of order or beyond n_ctx throw ApiError (PARAM_ERROR); a KV store
// without a free block throws SERVER_BUSY.
void forward_batch(const Model& model, std::span<const BatchRow> rows);

// Runs `tokens` at positions cache.n_past, n_past+1, ... and advances the
// cache. `logits` receives n_vocab values for the last token (may be null);
// `all_logits`, when given, receives n_vocab values for every token.
// A full cache or an id outside the vocabulary throws ApiError (PARAM_ERROR).
void decode(const Model& model, KvCache& cache, std::span<const int32_t> tokens, float* logits,
            std::vector<float>* all_logits = nullptr);

}  // namespace hydra::engine
