// WordPiece (BERT): the BERT basic tokenizer (drop control characters,
// lowercase, strip accents, isolate punctuation and CJK ideographs, split on
// whitespace), then greedy longest-match-first over each word.
//
// Vocabularies are held in the GGUF convention: a token that starts a word
// carries a leading U+2581, a continuation token ("##ing" in BERT's own
// files) carries nothing.
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/unicode.h"

namespace hydra::engine {
namespace {

constexpr std::string_view kWordStart = "\xE2\x96\x81";
// Longer words are [UNK] outright, as in BERT.
constexpr size_t kMaxWordChars = 100;

bool is_bert_punct(uint32_t cp) {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
      (cp >= 123 && cp <= 126)) {
    return true;
  }
  return cp_class(cp) == CpClass::kPunct;
}

bool is_continuation_byte(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

}  // namespace

void Tokenizer::encode_wordpiece(std::string_view text, std::vector<int32_t>& out) const {
  DecodedText decoded;
  decode_utf8(text, decoded);
  std::string word, key;
  std::vector<uint32_t> parts;
  auto finish_word = [&] {
    if (!word.empty()) wordpiece_word(word, key, out);
    word.clear();
  };
  for (size_t k = 0; k < decoded.cps.size(); ++k) {
    uint32_t cp = decoded.cps[k];
    uint8_t flags = decoded.flags[k];
    if (flags_whitespace(flags)) {
      finish_word();
      continue;
    }
    if (cp == 0 || cp == kReplacementChar || flags_class(flags) == CpClass::kOther) continue;
    parts.clear();
    if (data_.strip_accents) {
      append_accent_stripped(cp, parts);
    } else {
      parts.push_back(cp);
    }
    for (uint32_t c : parts) {
      if (data_.lowercase) c = cp_to_lower(c);
      if (is_bert_punct(c) || cp_is_cjk_ideograph(c)) {
        finish_word();
        append_utf8(c, word);
        finish_word();
      } else {
        append_utf8(c, word);
      }
    }
  }
  finish_word();
}

void Tokenizer::wordpiece_word(std::string_view word, std::string& key,
                               std::vector<int32_t>& out) const {
  size_t chars = 0;
  for (char c : word) chars += is_continuation_byte(c) ? 0 : 1;
  const size_t first = out.size();
  if (chars <= kMaxWordChars) {
    size_t start = 0;
    while (start < word.size()) {
      const size_t prefix = start == 0 ? kWordStart.size() : 0;
      const size_t limit = max_token_bytes_ > prefix ? max_token_bytes_ - prefix : 0;
      size_t end = word.size();
      if (end - start > limit) end = start + limit;
      int32_t found = -1;
      for (; end > start; --end) {
        if (end < word.size() && is_continuation_byte(word[end])) continue;
        key.assign(start == 0 ? kWordStart : std::string_view());
        key.append(word.substr(start, end - start));
        found = token_id(key);
        if (found >= 0) break;
      }
      if (found < 0) break;
      out.push_back(found);
      start = end;
    }
    if (start == word.size()) return;
  }
  out.resize(first);
  if (data_.unk >= 0) out.push_back(data_.unk);
}

}  // namespace hydra::engine
