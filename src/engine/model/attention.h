#pragma once
// Causal grouped-query attention of a batch over the paged KV cache.
#include <cstdint>
#include <span>

#include "engine/model/decoder.h"

namespace hydra::engine {

// q holds each row's query heads (n_head * head_dim per row); out receives
// each row's attention output, same shape. Row r attends to positions
// 0..rows[r].pos of its own cache, whose keys and values for this layer
// must already be stored. Rows of one sequence are consecutive.
void attention(const Model& model, int64_t layer, std::span<const BatchRow> rows, const float* q,
               float* out);

}  // namespace hydra::engine
