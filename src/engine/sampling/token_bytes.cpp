#include "engine/sampling/token_bytes.h"

namespace hydra::engine {

TokenBytes::TokenBytes(const Tokenizer& tok) {
  single_byte.fill(-1);
  bytes.resize(static_cast<size_t>(tok.n_tokens()));
  for (int32_t id = 0; id < tok.n_tokens(); ++id) {
    const TokenType type = tok.token_type(id);
    if (type == TokenType::kControl || type == TokenType::kUnknown || type == TokenType::kUnused) {
      continue;
    }
    bytes[id] = tok.token_to_piece(id);
    if (bytes[id].size() == 1) {
      int32_t& slot = single_byte[static_cast<uint8_t>(bytes[id][0])];
      if (slot < 0) slot = id;
    }
  }
}

}  // namespace hydra::engine
