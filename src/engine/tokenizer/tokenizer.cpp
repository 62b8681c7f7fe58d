#include "engine/tokenizer/tokenizer.h"

#include <algorithm>
#include <cstdio>

#include "common/error.h"
#include "engine/format/format_error.h"
#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/unicode.h"

namespace hydra::engine {
namespace {

constexpr std::string_view kSpaceMarker = "\xE2\x96\x81";  // U+2581, SentencePiece's space

bool is_special_type(uint8_t type) {
  auto t = static_cast<TokenType>(type);
  return t == TokenType::kControl || t == TokenType::kUserDefined || t == TokenType::kUnknown;
}

bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// "<0x4A>" -> 0x4A; -1 if the text is not a byte token.
int parse_byte_token(std::string_view text) {
  if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
  int value = 0;
  for (char c : text.substr(3, 2)) {
    value <<= 4;
    if (c >= '0' && c <= '9') {
      value |= c - '0';
    } else if (c >= 'A' && c <= 'F') {
      value |= c - 'A' + 10;
    } else if (c >= 'a' && c <= 'f') {
      value |= c - 'a' + 10;
    } else {
      return -1;
    }
  }
  return value;
}

std::string replace_space_marker(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text.substr(i, kSpaceMarker.size()) == kSpaceMarker) {
      out.push_back(' ');
      i += kSpaceMarker.size();
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

void check_id(int32_t& id, size_t n) {
  if (id < -1 || id >= static_cast<int64_t>(n)) id = -1;  // a dangling optional id is dropped
}

}  // namespace

Tokenizer::Tokenizer(VocabData data) : data_(std::move(data)) {
  const size_t n = data_.tokens.size();
  if (n == 0) throw FormatError("tokenizer: the vocabulary has no tokens");
  if (data_.model == "gpt2") {
    kind_ = TokenizerKind::kByteBpe;
    if (!data_.pre.empty() && !pre_tokenizer_from_name(data_.pre, pre_)) {
      throw FormatError("tokenizer: unknown pre-tokenizer '" + data_.pre + "'");
    }
  } else if (data_.model == "llama") {
    kind_ = TokenizerKind::kSentencePiece;
  } else if (data_.model == "bert") {
    kind_ = TokenizerKind::kWordPiece;
  } else {
    throw FormatError("tokenizer: unsupported tokenizer model '" + data_.model + "'");
  }
  if (!data_.scores.empty() && data_.scores.size() != n) {
    throw FormatError("tokenizer: " + std::to_string(data_.scores.size()) + " scores for " +
                      std::to_string(n) + " tokens");
  }
  if (!data_.token_types.empty() && data_.token_types.size() != n) {
    throw FormatError("tokenizer: " + std::to_string(data_.token_types.size()) +
                      " token types for " + std::to_string(n) + " tokens");
  }
  if (!data_.token_flags.empty() && data_.token_flags.size() != n) {
    throw FormatError("tokenizer: token flags do not match the token count");
  }
  if (kind_ == TokenizerKind::kSentencePiece && data_.scores.empty() && data_.merges.empty()) {
    throw FormatError("tokenizer: a SentencePiece vocabulary needs scores or merges");
  }
  type_.assign(n, static_cast<uint8_t>(TokenType::kNormal));
  for (size_t i = 0; i < data_.token_types.size(); ++i) {
    int32_t t = data_.token_types[i];
    if (t < 0 || t > static_cast<int32_t>(TokenType::kByte)) {
      throw FormatError("tokenizer: token " + std::to_string(i) + " has unknown type " +
                        std::to_string(t));
    }
    type_[i] = static_cast<uint8_t>(t == 0 ? 1 : t);
  }
  flags_ = data_.token_flags;
  flags_.resize(n, 0);
  for (int32_t* id : {&data_.bos, &data_.eos, &data_.unk, &data_.sep, &data_.pad, &data_.cls,
                      &data_.mask, &data_.eot}) {
    check_id(*id, n);
  }
  build_index();
  build_merges();
  build_specials();
}

void Tokenizer::build_index() {
  id_of_.reserve(data_.tokens.size());
  for (size_t i = 0; i < data_.tokens.size(); ++i) {
    if (data_.tokens[i].empty()) continue;  // holes in sparse vocabularies
    // Later duplicates win, as in the reference loader.
    id_of_[data_.tokens[i]] = static_cast<int32_t>(i);
    max_token_bytes_ = std::max(max_token_bytes_, data_.tokens[i].size());
  }
  byte_token_.fill(-1);
  for (int b = 0; b < 256; ++b) {
    std::string key;
    if (kind_ == TokenizerKind::kByteBpe) {
      append_utf8(byte_to_cp(static_cast<uint8_t>(b)), key);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "<0x%02X>", b);
      key = buf;
    }
    byte_token_[b] = token_id(key);
  }
}

void Tokenizer::build_merges() {
  merges_.reserve(data_.merges.size());
  std::string joined;
  for (size_t rank = 0; rank < data_.merges.size(); ++rank) {
    const std::string& m = data_.merges[rank];
    size_t space = m.find(' ', 1);
    if (space == std::string::npos) {
      throw FormatError("tokenizer: merge " + std::to_string(rank) + " is not 'left right'");
    }
    std::string_view left(m.data(), space), right(m.data() + space + 1, m.size() - space - 1);
    joined.assign(left);
    joined.append(right);
    int32_t l = token_id(left), r = token_id(right), result = token_id(joined);
    // A merge whose parts or result are not tokens can never apply.
    if (l < 0 || r < 0 || result < 0) continue;
    uint64_t key = (static_cast<uint64_t>(l) << 32) | static_cast<uint32_t>(r);
    merges_.emplace(key, MergeRule{static_cast<int32_t>(rank), result});
  }
}

void Tokenizer::build_specials() {
  for (size_t i = 0; i < data_.tokens.size(); ++i) {
    if (is_special_type(type_[i]) && !data_.tokens[i].empty()) {
      specials_by_byte_[static_cast<unsigned char>(data_.tokens[i][0])].push_back(
          static_cast<int32_t>(i));
    }
  }
  for (auto& bucket : specials_by_byte_) {
    std::stable_sort(bucket.begin(), bucket.end(), [&](int32_t a, int32_t b) {
      return data_.tokens[a].size() > data_.tokens[b].size();
    });
  }
}

int32_t Tokenizer::token_id(std::string_view text) const {
  auto it = id_of_.find(text);
  return it == id_of_.end() ? -1 : it->second;
}

const Tokenizer::MergeRule* Tokenizer::find_merge(int32_t left, int32_t right) const {
  if (left < 0 || right < 0) return nullptr;
  auto it = merges_.find((static_cast<uint64_t>(left) << 32) | static_cast<uint32_t>(right));
  return it == merges_.end() ? nullptr : &it->second;
}

bool Tokenizer::strips_leading_space() const {
  return kind_ == TokenizerKind::kWordPiece ||
         (kind_ == TokenizerKind::kSentencePiece && data_.add_space_prefix);
}

// Special tokens are found leftmost-longest, before any normalisation, so a
// token written in the text is never split by the model's rules. Control
// tokens are only honoured when the caller asks; user-defined ones always.
void Tokenizer::split_specials(std::string_view text, bool parse_special,
                               std::vector<Fragment>& out) const {
  size_t gap = 0, i = 0;
  while (i < text.size()) {
    const auto& bucket = specials_by_byte_[static_cast<unsigned char>(text[i])];
    int32_t found = -1;
    for (int32_t id : bucket) {
      auto type = static_cast<TokenType>(type_[id]);
      if (!parse_special && type != TokenType::kUserDefined) continue;
      if (text.substr(i, data_.tokens[id].size()) == data_.tokens[id]) {
        found = id;
        break;
      }
    }
    if (found < 0) {
      ++i;
      continue;
    }
    size_t raw_end = i;
    if (flags_[found] & kTokenLstrip) {
      while (raw_end > gap && is_ascii_space(text[raw_end - 1])) --raw_end;
    }
    if (raw_end > gap) out.push_back({-1, gap, raw_end});
    out.push_back({found, i, i + data_.tokens[found].size()});
    i += data_.tokens[found].size();
    if (flags_[found] & kTokenRstrip) {
      while (i < text.size() && is_ascii_space(text[i])) ++i;
    }
    gap = i;
  }
  if (gap < text.size()) out.push_back({-1, gap, text.size()});
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, EncodeOptions opts) const {
  std::vector<Fragment> fragments;
  split_specials(text, opts.parse_special, fragments);
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 4);
  const bool wordpiece = kind_ == TokenizerKind::kWordPiece;
  if (opts.add_special && data_.add_bos) {
    int32_t first = wordpiece && data_.cls >= 0 ? data_.cls : data_.bos;
    if (first >= 0) out.push_back(first);
  }
  bool after_special = true;  // SentencePiece puts a space before the first word
  for (const Fragment& f : fragments) {
    if (f.token >= 0) {
      out.push_back(f.token);
      after_special = true;
      continue;
    }
    std::string_view piece = text.substr(f.begin, f.end - f.begin);
    switch (kind_) {
      case TokenizerKind::kByteBpe:
        encode_byte_bpe(piece, out);
        break;
      case TokenizerKind::kSentencePiece:
        encode_sentencepiece(piece, data_.add_space_prefix && after_special, out);
        break;
      case TokenizerKind::kWordPiece:
        encode_wordpiece(piece, out);
        break;
    }
    after_special = false;
  }
  if (opts.add_special) {
    if (wordpiece && data_.add_sep) {
      int32_t last = data_.sep >= 0 ? data_.sep : data_.eos;
      if (last >= 0) out.push_back(last);
    }
    if (data_.add_eos && data_.eos >= 0) out.push_back(data_.eos);
  }
  return out;
}

void Tokenizer::push_byte_fallback(unsigned char byte, std::vector<int32_t>& out) const {
  int32_t id = kind_ == TokenizerKind::kSentencePiece ? byte_token_[byte] : -1;
  if (id < 0) id = data_.unk;
  if (id >= 0) out.push_back(id);
}

std::string Tokenizer::token_to_piece(int32_t id, bool render_special) const {
  if (!valid_id(id)) {
    throw ApiError(ErrorCode::kParamError,
                   "token id " + std::to_string(id) + " is out of range [0, " +
                       std::to_string(n_tokens()) + ")",
                   "tokens");
  }
  const std::string& text = data_.tokens[id];
  switch (static_cast<TokenType>(type_[id])) {
    case TokenType::kControl:
    case TokenType::kUnknown:
      return render_special ? text : std::string();
    case TokenType::kUserDefined:
      return text;
    case TokenType::kByte: {
      int byte = parse_byte_token(text);
      if (byte >= 0) return std::string(1, static_cast<char>(byte));
      break;
    }
    default:
      break;
  }
  if (kind_ == TokenizerKind::kByteBpe) return byte_level_decode(text);
  return replace_space_marker(text);
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool render_special) const {
  std::string out;
  bool strip = strips_leading_space();
  for (int32_t id : ids) {
    std::string piece = token_to_piece(id, render_special);
    if (strip && !piece.empty()) {
      if (piece[0] == ' ') piece.erase(0, 1);
      strip = false;
    }
    out += piece;
  }
  return out;
}

}  // namespace hydra::engine
