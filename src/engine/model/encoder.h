#pragma once
// The BERT-style encoder for embeddings: bidirectional attention over the
// whole input, post-norm layers, GELU feed-forward, then pooling.
#include <cstdint>
#include <span>
#include <vector>

#include "engine/model/model.h"

namespace hydra::engine {

// Hidden states of every token, [n_tokens][n_embd]. Inputs longer than the
// position table or with ids outside the vocabulary throw ApiError.
std::vector<float> encode_hidden(const Model& model, std::span<const int32_t> tokens);

// Pools hidden states into one vector: kMean averages the tokens, kCls takes
// the first; kNone is treated as kMean. With `normalize` the result has unit
// L2 norm.
std::vector<float> pool(std::span<const float> hidden, int64_t n_embd, Pooling pooling,
                        bool normalize);

// encode_hidden + pool; pooling kNone uses the model's default.
std::vector<float> embed(const Model& model, std::span<const int32_t> tokens,
                         Pooling pooling = Pooling::kNone, bool normalize = true);

}  // namespace hydra::engine
