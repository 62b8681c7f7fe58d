#include "engine/tokenizer/gguf_vocab.h"

#include <algorithm>
#include <cctype>

#include "engine/format/format_error.h"

namespace hydra::engine {
namespace {

void read_id(const GgufFile& f, const char* key, int32_t& id) {
  if (f.has(key)) id = static_cast<int32_t>(f.get_i64(key));
}

void read_flag(const GgufFile& f, const char* key, bool& flag) {
  if (f.has(key)) flag = f.get_bool(key);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Phi-3's chat tokens swallow the whitespace after them (its published
// tokenizer marks them rstrip), except the document markers.
void apply_phi3_strip(VocabData& v) {
  v.token_flags.assign(v.tokens.size(), 0);
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    auto type = static_cast<TokenType>(v.token_types.empty() ? 1 : v.token_types[i]);
    bool special = type == TokenType::kControl || type == TokenType::kUserDefined ||
                   type == TokenType::kUnknown;
    const std::string& t = v.tokens[i];
    if ((special || t == "</s>") && t != "<unk>" && t != "<s>" && t != "<|endoftext|>") {
      v.token_flags[i] = kTokenRstrip;
    }
  }
}

}  // namespace

VocabData vocab_from_gguf(const GgufFile& f) {
  VocabData v;
  if (!f.has("tokenizer.ggml.model")) throw FormatError("gguf: no tokenizer.ggml.model");
  v.model = f.get_str("tokenizer.ggml.model");
  v.pre = f.get_str("tokenizer.ggml.pre", "");
  if (v.pre.empty()) v.pre = "default";
  if (!f.has("tokenizer.ggml.tokens")) throw FormatError("gguf: no tokenizer.ggml.tokens");
  v.tokens = f.get_arr_str("tokenizer.ggml.tokens");
  if (f.has("tokenizer.ggml.scores")) v.scores = f.get_arr_f32("tokenizer.ggml.scores");
  if (f.has("tokenizer.ggml.token_type")) {
    v.token_types = f.get_arr_i32("tokenizer.ggml.token_type");
  }
  if (f.has("tokenizer.ggml.merges")) v.merges = f.get_arr_str("tokenizer.ggml.merges");

  apply_family_defaults(v);
  if (v.model == "llama") {
    v.bos = 1;
    v.eos = 2;
    v.unk = 0;
  } else if (v.model == "bert") {
    v.bos = 101;
    v.cls = 101;
    v.unk = 100;
    v.sep = 102;
    v.pad = 0;
    v.mask = 103;
  }
  read_id(f, "tokenizer.ggml.bos_token_id", v.bos);
  read_id(f, "tokenizer.ggml.eos_token_id", v.eos);
  read_id(f, "tokenizer.ggml.unknown_token_id", v.unk);
  read_id(f, "tokenizer.ggml.seperator_token_id", v.sep);  // sic: the key is spelt so
  read_id(f, "tokenizer.ggml.padding_token_id", v.pad);
  read_id(f, "tokenizer.ggml.cls_token_id", v.cls);
  read_id(f, "tokenizer.ggml.mask_token_id", v.mask);
  read_id(f, "tokenizer.ggml.eot_token_id", v.eot);
  read_flag(f, "tokenizer.ggml.add_bos_token", v.add_bos);
  read_flag(f, "tokenizer.ggml.add_eos_token", v.add_eos);
  read_flag(f, "tokenizer.ggml.add_sep_token", v.add_sep);
  read_flag(f, "tokenizer.ggml.add_space_prefix", v.add_space_prefix);

  std::string name = lower(f.get_str("general.name", ""));
  if (name.find("phi-3") != std::string::npos || name.find("phi3") != std::string::npos) {
    apply_phi3_strip(v);
  }
  return v;
}

}  // namespace hydra::engine
