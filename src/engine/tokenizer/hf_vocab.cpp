#include "engine/tokenizer/hf_vocab.h"

#include <boost/json.hpp>

#include "engine/format/format_error.h"
#include "engine/format/text_file.h"

namespace hydra::engine {
namespace {

namespace bj = boost::json;

// Ids beyond this are refused so a hostile file cannot demand a huge table.
constexpr int64_t kMaxTokenId = 16 * 1024 * 1024;
constexpr std::string_view kWordStart = "\xE2\x96\x81";

// Split patterns as published in the tokenizer.json of each family.
constexpr std::string_view kLlama3Pattern =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr std::string_view kQwen2Pattern =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr std::string_view kGpt2Pattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

[[noreturn]] void fail(const std::string& what) {
  throw FormatError("tokenizer.json: " + what);
}

const bj::object* member_object(const bj::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_object() ? &it->value().as_object() : nullptr;
}

std::string member_string(const bj::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().as_string()) : "";
}

bool member_bool(const bj::object& o, std::string_view key, bool fallback) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_bool() ? it->value().as_bool() : fallback;
}

// The object itself, or the members of a {"type":"Sequence", "<list>":[...]}.
std::vector<const bj::object*> flatten(const bj::value* v, std::string_view list_key) {
  std::vector<const bj::object*> out;
  if (v == nullptr || !v->is_object()) return out;
  const bj::object& o = v->as_object();
  auto it = o.find(list_key);
  if (member_string(o, "type") == "Sequence" && it != o.end() && it->value().is_array()) {
    for (const bj::value& item : it->value().as_array()) {
      if (item.is_object()) out.push_back(&item.as_object());
    }
  } else {
    out.push_back(&o);
  }
  return out;
}

const bj::value* find(const bj::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->value();
}

struct Pieces {
  std::vector<const bj::object*> pre, normalizers, decoders;
  bool has(const std::vector<const bj::object*>& list, std::string_view type) const {
    for (const bj::object* o : list) {
      if (member_string(*o, "type") == type) return true;
    }
    return false;
  }
};

std::string split_pattern(const bj::object& split) {
  const bj::object* pattern = member_object(split, "pattern");
  if (pattern == nullptr) return "";
  std::string regex = member_string(*pattern, "Regex");
  return regex.empty() ? member_string(*pattern, "String") : regex;
}

// Names the byte-level pre-tokenizer family from the pre_tokenizer section.
std::string byte_level_family(const Pieces& p) {
  std::vector<std::string> patterns;
  for (const bj::object* o : p.pre) {
    if (member_string(*o, "type") == "Split") patterns.push_back(split_pattern(*o));
  }
  for (const std::string& pat : patterns) {
    if (pat == kLlama3Pattern) return "llama-bpe";
    if (pat == kQwen2Pattern) return "qwen2";
    if (pat.find("\xC2\xB5\xC3\x80-\xC3\x96") != std::string::npos) return "deepseek-llm";  // µÀ-Ö
  }
  for (const std::string& pat : patterns) {
    if (pat == "\\s?\\p{L}+") return "deepseek-coder";
  }
  if (!patterns.empty() && !(patterns.size() == 1 && patterns[0] == kGpt2Pattern)) {
    fail("unsupported pre-tokenizer split pattern '" + patterns[0] + "'");
  }
  if (p.has(p.pre, "Punctuation")) return "falcon";
  for (const bj::object* o : p.pre) {
    if (member_string(*o, "type") == "Digits" && member_bool(*o, "individual_digits", false)) {
      return "starcoder";
    }
  }
  return "gpt-2";
}

int64_t checked_id(const bj::value& v, const std::string& what) {
  if (!v.is_int64() && !v.is_uint64()) fail(what + " has a non-integer id");
  int64_t id = v.is_int64() ? v.as_int64() : static_cast<int64_t>(v.as_uint64());
  if (id < 0 || id >= kMaxTokenId) fail(what + " has id " + std::to_string(id) + " out of range");
  return id;
}

void put_token(VocabData& v, int64_t id, std::string text, TokenType type) {
  if (static_cast<size_t>(id) >= v.tokens.size()) {
    v.tokens.resize(id + 1);
    v.token_types.resize(id + 1, static_cast<int32_t>(TokenType::kUnused));
    v.token_flags.resize(id + 1, 0);
  }
  v.tokens[id] = std::move(text);
  v.token_types[id] = static_cast<int32_t>(type);
}

void read_vocab(const bj::object& model, VocabData& v) {
  const bj::value* vocab = find(model, "vocab");
  if (vocab == nullptr || !vocab->is_object()) fail("model.vocab must be an object");
  for (const auto& kv : vocab->as_object()) {
    put_token(v, checked_id(kv.value(), "vocab entry"), std::string(kv.key()), TokenType::kNormal);
  }
}

void read_merges(const bj::object& model, VocabData& v) {
  const bj::value* merges = find(model, "merges");
  if (merges == nullptr) return;
  if (!merges->is_array()) fail("model.merges must be an array");
  v.merges.reserve(merges->as_array().size());
  for (const bj::value& m : merges->as_array()) {
    if (m.is_string()) {
      v.merges.emplace_back(m.as_string());
    } else if (m.is_array() && m.as_array().size() == 2 && m.as_array()[0].is_string() &&
               m.as_array()[1].is_string()) {
      std::string joined(m.as_array()[0].as_string());
      joined += ' ';
      joined += m.as_array()[1].as_string();
      v.merges.push_back(std::move(joined));
    } else {
      fail("a merge must be \"a b\" or [\"a\", \"b\"]");
    }
  }
}

void read_added_tokens(const bj::object& root, VocabData& v) {
  const bj::value* added = find(root, "added_tokens");
  if (added == nullptr || !added->is_array()) return;
  for (const bj::value& t : added->as_array()) {
    if (!t.is_object()) fail("added_tokens entries must be objects");
    const bj::object& o = t.as_object();
    const bj::value* id = find(o, "id");
    if (id == nullptr) fail("an added token has no id");
    int64_t k = checked_id(*id, "added token");
    std::string content = member_string(o, "content");
    if (content.empty()) fail("added token " + std::to_string(k) + " has no content");
    bool special = member_bool(o, "special", false);
    put_token(v, k, content, special ? TokenType::kControl : TokenType::kUserDefined);
    uint8_t flags = 0;
    if (member_bool(o, "lstrip", false)) flags |= kTokenLstrip;
    if (member_bool(o, "rstrip", false)) flags |= kTokenRstrip;
    v.token_flags[k] = flags;
  }
}

// WordPiece vocabularies are stored the GGUF way: word-initial tokens get a
// leading U+2581, "##" continuations lose their prefix.
void to_word_start_form(VocabData& v, const std::string& prefix) {
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    std::string& t = v.tokens[i];
    if (t.empty() || v.token_types[i] != static_cast<int32_t>(TokenType::kNormal)) continue;
    if (t.size() > 2 && t.front() == '[' && t.back() == ']') continue;
    if (!prefix.empty() && t.compare(0, prefix.size(), prefix) == 0 && t.size() > prefix.size()) {
      t.erase(0, prefix.size());
    } else {
      t.insert(0, kWordStart);
    }
  }
}

int32_t id_of(const VocabData& v, std::string_view text) {
  if (text.empty()) return -1;
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    if (v.tokens[i] == text) return static_cast<int32_t>(i);
  }
  return -1;
}

// Which special tokens the post-processor puts around a single sequence.
void read_post_processor(const bj::object& root, VocabData& v) {
  const bj::value* pp = find(root, "post_processor");
  for (const bj::object* o : flatten(pp, "processors")) {
    std::string type = member_string(*o, "type");
    if (type == "TemplateProcessing") {
      const bj::value* single = find(*o, "single");
      if (single == nullptr || !single->is_array()) continue;
      bool seen_text = false;
      for (const bj::value& item : single->as_array()) {
        if (!item.is_object()) continue;
        if (find(item.as_object(), "Sequence") != nullptr) {
          seen_text = true;
          continue;
        }
        const bj::object* st = member_object(item.as_object(), "SpecialToken");
        if (st == nullptr) continue;
        int32_t id = id_of(v, member_string(*st, "id"));
        if (id < 0) continue;
        if (!seen_text) {
          v.bos = id;
          v.add_bos = true;
        } else if (v.model == "bert") {
          v.sep = id;
          v.add_sep = true;
        } else {
          v.eos = id;
          v.add_eos = true;
        }
      }
    } else if (type == "BertProcessing" || type == "RobertaProcessing") {
      for (const char* key : {"cls", "sep"}) {
        const bj::value* pair = find(*o, key);
        if (pair == nullptr || !pair->is_array() || pair->as_array().size() != 2) continue;
        const bj::value& idv = pair->as_array()[1];
        if (!idv.is_int64() && !idv.is_uint64()) continue;
        int32_t id = static_cast<int32_t>(checked_id(idv, "post_processor"));
        if (std::string_view(key) == "cls") {
          v.bos = v.cls = id;
          v.add_bos = true;
        } else if (v.model == "bert") {
          v.sep = id;
          v.add_sep = true;
        } else {
          v.eos = id;
          v.add_eos = true;
        }
      }
    }
  }
}

void read_config(const TokenizerConfig& c, VocabData& v) {
  auto set = [&](const std::string& text, int32_t& id) {
    int32_t found = id_of(v, text);
    if (found >= 0) id = found;
  };
  set(c.bos_token, v.bos);
  set(c.eos_token, v.eos);
  set(c.unk_token, v.unk);
  set(c.pad_token, v.pad);
  if (c.add_bos_token) v.add_bos = *c.add_bos_token;
  if (c.add_eos_token) v.add_eos = *c.add_eos_token;
}

bool sentencepiece_space_prefix(const Pieces& p) {
  for (const bj::object* o : p.pre) {
    if (member_string(*o, "type") == "Metaspace") {
      std::string scheme = member_string(*o, "prepend_scheme");
      if (!scheme.empty()) return scheme != "never";
      return member_bool(*o, "add_prefix_space", true);
    }
  }
  for (const bj::object* o : p.normalizers) {
    if (member_string(*o, "type") == "Prepend" && member_string(*o, "prepend") == kWordStart) {
      return true;
    }
  }
  return false;
}

void read_bpe(const bj::object& model, const Pieces& p, VocabData& v) {
  bool byte_level = p.has(p.pre, "ByteLevel") || p.has(p.decoders, "ByteLevel");
  if (byte_level) {
    v.model = "gpt2";
    v.pre = byte_level_family(p);
  } else {
    v.model = "llama";
    v.add_space_prefix = sentencepiece_space_prefix(p);
    for (size_t i = 0; i < v.tokens.size(); ++i) {
      const std::string& t = v.tokens[i];
      if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t.back() == '>' &&
          v.token_types[i] == static_cast<int32_t>(TokenType::kNormal)) {
        v.token_types[i] = static_cast<int32_t>(TokenType::kByte);
      }
    }
  }
  v.ignore_merges = member_bool(model, "ignore_merges", false);
  v.unk = id_of(v, member_string(model, "unk_token"));
}

void read_wordpiece(const bj::object& model, const Pieces& p, VocabData& v) {
  v.model = "bert";
  v.pre = "bert";
  std::string prefix = member_string(model, "continuing_subword_prefix");
  if (find(model, "continuing_subword_prefix") == nullptr) prefix = "##";
  v.unk = id_of(v, member_string(model, "unk_token"));
  to_word_start_form(v, prefix);
  v.lowercase = false;
  v.strip_accents = false;
  for (const bj::object* o : p.normalizers) {
    if (member_string(*o, "type") != "BertNormalizer") continue;
    v.lowercase = member_bool(*o, "lowercase", true);
    const bj::value* strip = find(*o, "strip_accents");
    v.strip_accents = strip != nullptr && strip->is_bool() ? strip->as_bool() : v.lowercase;
  }
}

}  // namespace

VocabData vocab_from_tokenizer_json(std::string_view tokenizer_json,
                                    const TokenizerConfig* config) {
  bj::value root_value = parse_json_text(tokenizer_json, "tokenizer.json");
  if (!root_value.is_object()) fail("the document must be an object");
  const bj::object& root = root_value.as_object();
  const bj::object* model = member_object(root, "model");
  if (model == nullptr) fail("no model section");
  std::string type = member_string(*model, "type");
  if (type.empty()) type = find(*model, "merges") != nullptr ? "BPE" : "WordPiece";
  if (type != "BPE" && type != "WordPiece") fail("unsupported model type '" + type + "'");

  VocabData v;
  read_vocab(*model, v);
  read_added_tokens(root, v);
  Pieces pieces{flatten(find(root, "pre_tokenizer"), "pretokenizers"),
                flatten(find(root, "normalizer"), "normalizers"),
                flatten(find(root, "decoder"), "decoders")};
  if (type == "BPE") {
    read_merges(*model, v);
    read_bpe(*model, pieces, v);
  } else {
    read_wordpiece(*model, pieces, v);
  }
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    if (v.tokens[i].empty()) v.token_types[i] = static_cast<int32_t>(TokenType::kUnused);
  }
  read_post_processor(root, v);
  if (config != nullptr) read_config(*config, v);
  return v;
}

VocabData read_hf_vocab(const std::string& dir) {
  std::string json = read_text_file(dir + "/tokenizer.json");
  std::string config_path = dir + "/tokenizer_config.json";
  if (!file_exists(config_path)) return vocab_from_tokenizer_json(json);
  TokenizerConfig config = read_tokenizer_config(config_path);
  return vocab_from_tokenizer_json(json, &config);
}

}  // namespace hydra::engine
