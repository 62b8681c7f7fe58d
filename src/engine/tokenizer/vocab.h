#pragma once
// The plain description of a vocabulary, whatever file it came from (GGUF
// metadata, tokenizer.json). A Tokenizer is built from it.
#include <cstdint>
#include <string>
#include <vector>

namespace hydra::engine {

// Token types as numbered in GGUF's tokenizer.ggml.token_type.
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

// Per-token flags for special tokens matched in raw text.
constexpr uint8_t kTokenLstrip = 1;  // swallow whitespace before the token
constexpr uint8_t kTokenRstrip = 2;  // swallow whitespace after the token

struct VocabData {
  std::string model;  // "gpt2" (byte-level BPE), "llama" (SentencePiece-style), "bert" (WordPiece)
  std::string pre;    // pre-tokenizer family of gpt2 models: "gpt-2", "llama-bpe", "qwen2", ...
  std::vector<std::string> tokens;
  std::vector<float> scores;         // llama: merge priority per token (may be empty with merges)
  std::vector<int32_t> token_types;  // TokenType values; empty means all normal
  std::vector<std::string> merges;   // "left right", best first
  std::vector<uint8_t> token_flags;  // kTokenLstrip/kTokenRstrip; empty means none
  int32_t bos = -1, eos = -1, unk = -1, sep = -1, pad = -1, cls = -1, mask = -1, eot = -1;
  bool add_bos = false;
  bool add_eos = false;
  bool add_sep = false;           // bert: [SEP] after the text
  bool add_space_prefix = false;  // llama: a space before the text
  bool ignore_merges = false;     // gpt2: a word that is itself a token skips merging
  bool lowercase = true;          // bert: lowercase the text
  bool strip_accents = true;      // bert: drop accents (canonical decomposition minus marks)
};

// The defaults a family uses for keys a file leaves out (add_bos, special
// ids, ...). Fills `v` from v.model and v.pre; call before applying the
// file's own values.
void apply_family_defaults(VocabData& v);

}  // namespace hydra::engine
