#pragma once
// Pre-tokenizers of the byte-level BPE families: they cut text into words
// before merging, exactly as the split patterns published with each model
// family do. The patterns use Unicode classes (\p{L}, \p{N}, ...) that
// std::regex cannot express, so each is written out by hand over code points.
//
// A family is a sequence of passes; each pass searches its pattern inside
// every piece the previous pass produced and keeps both the matches and the
// text between them as pieces (the way the reference implementations chain
// their split rules).
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace hydra::engine {

enum class PreTokenizer {
  kDefault,  // generic BPE split used when a vocabulary names no family
  kGpt2,
  kLlama3,
  kQwen2,
  kDeepseekLlm,
  kDeepseekCoder,
  kFalcon,
  kStarcoder,
};

// Maps a `tokenizer.ggml.pre` name (and known aliases) to its family.
// Returns false for names it does not know.
bool pre_tokenizer_from_name(std::string_view name, PreTokenizer& out);
const char* pre_tokenizer_name(PreTokenizer pre);

// Splits cps[0..n) (with their cp_flags) into words; appends to `ends` the
// code point index where each word ends, in order. `scratch` is reused.
void pre_tokenize(PreTokenizer pre, const uint32_t* cps, const uint8_t* flags, size_t n,
                  std::vector<uint32_t>& ends, std::vector<uint32_t>& scratch);

}  // namespace hydra::engine
