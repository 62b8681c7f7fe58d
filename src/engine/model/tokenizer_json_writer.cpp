// tokenizer.json documents from a VocabData. The pre-tokenizer sections use
// the split patterns the published tokenizers of each family carry.
#include "engine/model/tokenizer_json_writer.h"

#include <algorithm>
#include <boost/json.hpp>
#include <string_view>
#include <unordered_map>

#include "engine/format/format_error.h"

namespace hydra::engine {
namespace {

namespace bj = boost::json;

constexpr std::string_view kWordStart = "\xE2\x96\x81";  // U+2581

constexpr std::string_view kLlama3Pattern =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr std::string_view kQwen2Pattern =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
// DeepSeek LLM's letter class (abridged to its Latin and Greek ranges, which
// is what names the family).
constexpr std::string_view kDeepseekLlmLetters =
    "\\s?[A-Za-z\xC2\xB5\xC3\x80-\xC3\x96\xC3\x98-\xC3\xB6\xC3\xB8-\xC6\xBA\xC6\xBC-\xC6\xBF"
    "\xC7\x84-\xCA\x93\xCA\x94-\xCA\xAF\xCD\xB0-\xCD\xB3\xCD\xB6\xCD\xB7\xCD\xBB-\xCD\xBD\xCD\xBF"
    "\xCE\x86\xCE\x88-\xCE\x8A\xCE\x8C\xCE\x8E-\xCE\xA1\xCE\xA3-\xCF\xB5]+";
constexpr std::string_view kCjkPattern =
    "[\xE4\xB8\x80-\xE9\xBE\xA5\xE0\xA0\x80-\xE4\xB8\x80\xEA\xB0\x80-\xED\x9F\xBF]+";

bj::object split(std::string_view regex) {
  return {{"type", "Split"},
          {"pattern", bj::object{{"Regex", regex}}},
          {"behavior", "Isolated"},
          {"invert", false}};
}

bj::object byte_level(bool use_regex) {
  return {{"type", "ByteLevel"},
          {"add_prefix_space", false},
          {"trim_offsets", true},
          {"use_regex", use_regex}};
}

bj::object sequence(bj::array items) {
  return {{"type", "Sequence"}, {"pretokenizers", std::move(items)}};
}

bj::value byte_level_pre_tokenizer(const std::string& family) {
  if (family == "gpt-2" || family == "default") return byte_level(true);
  if (family == "llama-bpe" || family == "llama3") {
    return sequence({split(kLlama3Pattern), byte_level(false)});
  }
  if (family == "qwen2") return sequence({split(kQwen2Pattern), byte_level(false)});
  if (family == "deepseek-llm") {
    return sequence({split("[\\r\\n]"), split(kDeepseekLlmLetters),
                     split("\\s?[!-/:-~\xEF\xBC\x81-\xEF\xBC\x8F\xEF\xBC\x9A-\xEF\xBD\x9E"
                           "\xE2\x80\x98-\xE2\x80\x9F\xE3\x80\x80-\xE3\x80\x82]+"),
                     split("\\s+$"), split(kCjkPattern), split("\\p{N}+"), byte_level(false)});
  }
  if (family == "deepseek-coder") {
    return sequence({split("[\\r\\n]"), split("\\s?\\p{L}+"), split("\\s?\\p{P}+"),
                     split(kCjkPattern), split("\\p{N}"), byte_level(false)});
  }
  if (family == "falcon") {
    return sequence({bj::object{{"type", "Punctuation"}, {"behavior", "Contiguous"}},
                     byte_level(true),
                     bj::object{{"type", "Digits"}, {"individual_digits", false}}});
  }
  if (family == "starcoder") {
    return sequence(
        {bj::object{{"type", "Digits"}, {"individual_digits", true}}, byte_level(true)});
  }
  throw FormatError("tokenizer.json writer: no pre-tokenizer for family '" + family + "'");
}

TokenType type_of(const VocabData& v, size_t i) {
  return v.token_types.empty() ? TokenType::kNormal : static_cast<TokenType>(v.token_types[i]);
}

bj::array added_tokens(const VocabData& v) {
  bj::array out;
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    TokenType t = type_of(v, i);
    if (t != TokenType::kControl && t != TokenType::kUserDefined) continue;
    uint8_t flags = i < v.token_flags.size() ? v.token_flags[i] : 0;
    out.push_back(bj::object{{"id", static_cast<int64_t>(i)},
                             {"content", v.tokens[i]},
                             {"single_word", false},
                             {"lstrip", (flags & kTokenLstrip) != 0},
                             {"rstrip", (flags & kTokenRstrip) != 0},
                             {"normalized", false},
                             {"special", t == TokenType::kControl}});
  }
  return out;
}

// [BOS] $A [EOS] as the vocabulary asks.
bj::object post_processor(const VocabData& v, int32_t first, bool add_first, int32_t last,
                          bool add_last) {
  bj::array single;
  bj::object special_tokens;
  auto special = [&](int32_t id) {
    const std::string& text = v.tokens.at(static_cast<size_t>(id));
    single.push_back(bj::object{{"SpecialToken", bj::object{{"id", text}, {"type_id", 0}}}});
    special_tokens[text] =
        bj::object{{"id", text}, {"ids", bj::array{id}}, {"tokens", bj::array{bj::string(text)}}};
  };
  if (add_first && first >= 0) special(first);
  single.push_back(bj::object{{"Sequence", bj::object{{"id", "A"}, {"type_id", 0}}}});
  if (add_last && last >= 0) special(last);
  return {{"type", "TemplateProcessing"},
          {"single", std::move(single)},
          {"pair", bj::array{}},
          {"special_tokens", std::move(special_tokens)}};
}

bj::object vocab_object(const VocabData& v) {
  bj::object vocab;
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    if (!v.tokens[i].empty()) vocab[v.tokens[i]] = static_cast<int64_t>(i);
  }
  return vocab;
}

bj::array merges_array(const std::vector<std::string>& merges) {
  bj::array out;
  out.reserve(merges.size());
  for (const std::string& m : merges) out.push_back(bj::string(m));
  return out;
}

bj::object byte_level_document(const VocabData& v) {
  bj::object model{{"type", "BPE"},
                   {"dropout", nullptr},
                   {"unk_token", nullptr},
                   {"fuse_unk", false},
                   {"byte_fallback", false},
                   {"ignore_merges", v.ignore_merges},
                   {"vocab", vocab_object(v)},
                   {"merges", merges_array(v.merges)}};
  return {{"version", "1.0"},
          {"added_tokens", added_tokens(v)},
          {"normalizer", nullptr},
          {"pre_tokenizer", byte_level_pre_tokenizer(v.pre)},
          {"post_processor", post_processor(v, v.bos, v.add_bos, v.eos, v.add_eos)},
          {"decoder", bj::object{{"type", "ByteLevel"}}},
          {"model", std::move(model)}};
}

// SentencePiece BPE merges the pair whose result scores highest; as ranked
// merges that is every split of a normal token into two tokens, best
// result score first.
std::vector<std::string> merges_from_scores(const VocabData& v) {
  std::unordered_map<std::string_view, int32_t> id_of;
  for (size_t i = 0; i < v.tokens.size(); ++i) id_of.emplace(v.tokens[i], static_cast<int32_t>(i));
  struct Merge {
    float score;
    int32_t result, left;
  };
  std::vector<Merge> found;
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    if (type_of(v, i) != TokenType::kNormal) continue;
    std::string_view t = v.tokens[i];
    for (size_t cut = 1; cut < t.size(); ++cut) {
      auto l = id_of.find(t.substr(0, cut));
      auto r = id_of.find(t.substr(cut));
      if (l == id_of.end() || r == id_of.end()) continue;
      if (type_of(v, l->second) != TokenType::kNormal ||
          type_of(v, r->second) != TokenType::kNormal) {
        continue;
      }
      found.push_back({v.scores[i], static_cast<int32_t>(i), l->second});
    }
  }
  std::stable_sort(found.begin(), found.end(), [](const Merge& a, const Merge& b) {
    return a.score > b.score || (a.score == b.score && a.result < b.result);
  });
  std::vector<std::string> out;
  out.reserve(found.size());
  for (const Merge& m : found) {
    const std::string& left = v.tokens[m.left];
    out.push_back(left + " " + v.tokens[m.result].substr(left.size()));
  }
  return out;
}

bj::object sentencepiece_document(const VocabData& v) {
  if (v.scores.size() != v.tokens.size() && v.merges.empty()) {
    throw FormatError("tokenizer.json writer: a SentencePiece vocabulary needs scores");
  }
  std::vector<std::string> merges = v.merges.empty() ? merges_from_scores(v) : v.merges;
  bj::value unk = v.unk >= 0 ? bj::value(v.tokens.at(v.unk)) : bj::value(nullptr);
  bj::object model{{"type", "BPE"},
                   {"dropout", nullptr},
                   {"unk_token", unk},
                   {"fuse_unk", true},
                   {"byte_fallback", true},
                   {"ignore_merges", false},
                   {"vocab", vocab_object(v)},
                   {"merges", merges_array(merges)}};
  bj::array normalizers;
  if (v.add_space_prefix) {
    normalizers.push_back(bj::object{{"type", "Prepend"}, {"prepend", kWordStart}});
  }
  normalizers.push_back(bj::object{
      {"type", "Replace"}, {"pattern", bj::object{{"String", " "}}}, {"content", kWordStart}});
  bj::array decoders{
      bj::object{
          {"type", "Replace"}, {"pattern", bj::object{{"String", kWordStart}}}, {"content", " "}},
      bj::object{{"type", "ByteFallback"}}, bj::object{{"type", "Fuse"}},
      bj::object{{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}};
  return {{"version", "1.0"},
          {"added_tokens", added_tokens(v)},
          {"normalizer", bj::object{{"type", "Sequence"}, {"normalizers", std::move(normalizers)}}},
          {"pre_tokenizer", nullptr},
          {"post_processor", post_processor(v, v.bos, v.add_bos, v.eos, v.add_eos)},
          {"decoder", bj::object{{"type", "Sequence"}, {"decoders", std::move(decoders)}}},
          {"model", std::move(model)}};
}

// GGUF keeps WordPiece tokens with a U+2581 on word starts and no "##" on
// continuations; tokenizer.json has the opposite convention.
bj::object wordpiece_document(const VocabData& v) {
  bj::object vocab;
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    std::string t = v.tokens[i];
    if (t.empty()) continue;
    const bool bracketed = t.size() > 2 && t.front() == '[' && t.back() == ']';
    if (type_of(v, i) == TokenType::kNormal && !bracketed) {
      t = t.starts_with(kWordStart) ? t.substr(kWordStart.size()) : "##" + t;
    }
    vocab[t] = static_cast<int64_t>(i);
  }
  bj::value unk = v.unk >= 0 ? bj::value(v.tokens.at(v.unk)) : bj::value("[UNK]");
  bj::object model{{"type", "WordPiece"},
                   {"unk_token", unk},
                   {"continuing_subword_prefix", "##"},
                   {"max_input_chars_per_word", 100},
                   {"vocab", std::move(vocab)}};
  bj::object normalizer{{"type", "BertNormalizer"},
                        {"clean_text", true},
                        {"handle_chinese_chars", true},
                        {"strip_accents", v.strip_accents},
                        {"lowercase", v.lowercase}};
  int32_t cls = v.cls >= 0 ? v.cls : v.bos;
  return {{"version", "1.0"},
          {"added_tokens", added_tokens(v)},
          {"normalizer", std::move(normalizer)},
          {"pre_tokenizer", bj::object{{"type", "BertPreTokenizer"}}},
          {"post_processor", post_processor(v, cls, v.add_bos, v.sep, v.add_sep)},
          {"decoder", bj::object{{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}}},
          {"model", std::move(model)}};
}

}  // namespace

std::string tokenizer_json_from_vocab(const VocabData& v) {
  if (v.model == "gpt2") return bj::serialize(byte_level_document(v));
  if (v.model == "llama") return bj::serialize(sentencepiece_document(v));
  if (v.model == "bert") return bj::serialize(wordpiece_document(v));
  throw FormatError("tokenizer.json writer: unsupported tokenizer model '" + v.model + "'");
}

}  // namespace hydra::engine
