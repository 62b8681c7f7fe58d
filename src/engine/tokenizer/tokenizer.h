#pragma once
// Text <-> token ids for the three tokenizer kinds the engine serves:
// byte-level BPE (GPT-2, Llama 3, Qwen2, DeepSeek, Falcon, StarCoder),
// SentencePiece-style BPE (Llama 2, Phi-3) and WordPiece (BERT).
//
// A Tokenizer is immutable after construction and safe to share between
// threads; every call keeps its scratch space on its own stack.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/tokenizer/pre_tokenizer.h"
#include "engine/tokenizer/vocab.h"

namespace hydra::engine {

enum class TokenizerKind { kByteBpe, kSentencePiece, kWordPiece };

struct EncodeOptions {
  bool add_special = true;     // BOS/EOS (or [CLS]/[SEP]) as the vocabulary asks
  bool parse_special = false;  // control tokens written in the text become their ids
};

class Tokenizer {
 public:
  // Validates the vocabulary; a defect throws FormatError naming it.
  explicit Tokenizer(VocabData data);

  std::vector<int32_t> encode(std::string_view text, EncodeOptions opts = {}) const;

  // The bytes a token stands for. Control tokens render as their text only
  // when `render_special`; user-defined tokens always do.
  std::string token_to_piece(int32_t id, bool render_special = false) const;
  // Concatenated pieces (raw bytes; may end inside a UTF-8 sequence). The
  // space a SentencePiece or WordPiece vocabulary puts before the first word
  // is removed. Ids out of range throw ApiError (PARAM_ERROR).
  std::string decode(std::span<const int32_t> ids, bool render_special = false) const;

  TokenizerKind kind() const { return kind_; }
  PreTokenizer pre_tokenizer() const { return pre_; }
  int32_t n_tokens() const { return static_cast<int32_t>(data_.tokens.size()); }
  const std::string& token_text(int32_t id) const {
    return data_.tokens.at(static_cast<size_t>(id));
  }
  TokenType token_type(int32_t id) const {
    return static_cast<TokenType>(type_.at(static_cast<size_t>(id)));
  }
  // -1 when the text is not a token.
  int32_t token_id(std::string_view text) const;
  const VocabData& vocab() const { return data_; }
  bool valid_id(int32_t id) const { return id >= 0 && id < n_tokens(); }
  // Whether the first piece of a decode drops its leading space.
  bool strips_leading_space() const;

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct MergeRule {
    int32_t rank;
    int32_t result;
  };
  // A piece of input: raw text to tokenize, or a special token found in it.
  struct Fragment {
    int32_t token;  // -1 for raw text
    size_t begin, end;
  };

  void build_index();
  void build_merges();
  void build_specials();
  void split_specials(std::string_view text, bool parse_special, std::vector<Fragment>& out) const;
  void encode_byte_bpe(std::string_view text, std::vector<int32_t>& out) const;
  void bpe_word(std::string_view bytes, std::vector<int32_t>& out) const;
  void encode_sentencepiece(std::string_view text, bool space_prefix,
                            std::vector<int32_t>& out) const;
  void encode_wordpiece(std::string_view text, std::vector<int32_t>& out) const;
  void wordpiece_word(std::string_view word, std::string& key, std::vector<int32_t>& out) const;
  const MergeRule* find_merge(int32_t left, int32_t right) const;
  void push_byte_fallback(unsigned char byte, std::vector<int32_t>& out) const;

  VocabData data_;
  TokenizerKind kind_ = TokenizerKind::kByteBpe;
  PreTokenizer pre_ = PreTokenizer::kDefault;
  std::vector<uint8_t> type_;
  std::vector<uint8_t> flags_;
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> id_of_;
  std::unordered_map<uint64_t, MergeRule> merges_;
  std::array<int32_t, 256> byte_token_{};  // byte-level: alphabet char; SentencePiece: <0xXX>
  // Tokens matched in raw text before tokenizing, bucketed by first byte,
  // longest first within a bucket.
  std::array<std::vector<int32_t>, 256> specials_by_byte_;
  size_t max_token_bytes_ = 0;
};

}  // namespace hydra::engine
