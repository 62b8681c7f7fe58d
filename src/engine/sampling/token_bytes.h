#pragma once
// The bytes each token adds to the output text, precomputed once per
// tokenizer for constrained decoding. Control, unknown and unused tokens
// add nothing and are never allowed by a grammar.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/tokenizer/tokenizer.h"

namespace hydra::engine {

struct TokenBytes {
  std::vector<std::string> bytes;          // by token id
  std::array<int32_t, 256> single_byte{};  // a token that is exactly this byte, or -1

  explicit TokenBytes(const Tokenizer& tokenizer);
};

}  // namespace hydra::engine
