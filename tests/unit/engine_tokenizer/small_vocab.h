#pragma once
// Small in-memory vocabularies for focused tests.
#include <string>
#include <vector>

#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/unicode.h"
#include "engine/tokenizer/vocab.h"

namespace hydra::engine::testing {

inline std::string alphabet_char(int byte) {
  std::string s;
  append_utf8(byte_to_cp(static_cast<uint8_t>(byte)), s);
  return s;
}

// Byte-level BPE: the 256 byte characters, then one token per merge result,
// then the given special tokens (as control tokens).
inline VocabData byte_bpe_vocab(const std::string& pre, const std::vector<std::string>& merges,
                                const std::vector<std::string>& specials = {}) {
  VocabData v;
  v.model = "gpt2";
  v.pre = pre;
  for (int b = 0; b < 256; ++b) v.tokens.push_back(alphabet_char(b));
  for (const std::string& m : merges) {
    size_t sp = m.find(' ');
    v.tokens.push_back(m.substr(0, sp) + m.substr(sp + 1));
    v.merges.push_back(m);
  }
  v.token_types.assign(v.tokens.size(), static_cast<int32_t>(TokenType::kNormal));
  for (const std::string& s : specials) {
    v.tokens.push_back(s);
    v.token_types.push_back(static_cast<int32_t>(TokenType::kControl));
  }
  apply_family_defaults(v);
  return v;
}

// Id of a token text in a VocabData (-1 if absent).
inline int32_t find_token(const VocabData& v, const std::string& text) {
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    if (v.tokens[i] == text) return static_cast<int32_t>(i);
  }
  return -1;
}

}  // namespace hydra::engine::testing
