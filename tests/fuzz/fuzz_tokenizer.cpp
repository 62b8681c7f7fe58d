// libFuzzer target: arbitrary bytes (often invalid UTF-8) through every
// tokenizer kind and every byte-level pre-tokenizer, with small in-memory
// vocabularies. Encoding must give in-range ids, byte-level BPE must decode
// back to the exact input, and the streaming decoder must emit valid UTF-8
// that matches the sanitised full decode.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/stream_decoder.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/unicode.h"

namespace {

using namespace hydra::engine;

std::string alphabet(const std::string& raw) {
  std::string s;
  append_byte_level(raw, s);
  return s;
}

VocabData byte_level(const char* pre) {
  VocabData v;
  v.model = "gpt2";
  v.pre = pre;
  for (int b = 0; b < 256; ++b) v.tokens.push_back(alphabet(std::string(1, static_cast<char>(b))));
  const char* merges[][2] = {{" ", "t"}, {"h", "e"}, {" t", "he"}, {"i", "n"}, {"\xE4", "\xBD"}};
  for (auto& m : merges) {
    std::string l = alphabet(m[0]), r = alphabet(m[1]);
    v.merges.push_back(l + " " + r);
    v.tokens.push_back(l + r);
  }
  v.token_types.assign(v.tokens.size(), 1);
  v.tokens.push_back("<|end|>");
  v.token_types.push_back(static_cast<int32_t>(TokenType::kControl));
  apply_family_defaults(v);
  v.eos = static_cast<int32_t>(v.tokens.size()) - 1;
  return v;
}

VocabData sentencepiece() {
  VocabData v;
  v.model = "llama";
  v.tokens = {"<unk>", "<s>", "</s>"};
  v.token_types = {2, 3, 3};
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    v.tokens.push_back(buf);
    v.token_types.push_back(static_cast<int32_t>(TokenType::kByte));
  }
  for (const char* t : {"\xE2\x96\x81", "a", "b", "ab",
                        "\xE2\x96\x81"
                        "a",
                        "\xE4\xBD\xA0"}) {
    v.tokens.push_back(t);
    v.token_types.push_back(1);
  }
  v.scores.assign(v.tokens.size(), 0.0f);
  for (size_t i = 0; i < v.scores.size(); ++i) v.scores[i] = -static_cast<float>(i % 7);
  apply_family_defaults(v);
  v.bos = 1;
  v.eos = 2;
  v.unk = 0;
  return v;
}

VocabData wordpiece() {
  VocabData v;
  v.model = "bert";
  v.tokens = {"[PAD]",
              "[UNK]",
              "[CLS]",
              "[SEP]",
              "\xE2\x96\x81"
              "a",
              "b",
              "\xE2\x96\x81"
              "ab",
              "\xE2\x96\x81"
              ",",
              "\xE2\x96\x81\xE4\xBD\xA0"};
  v.token_types = {3, 3, 3, 3, 1, 1, 1, 1, 1};
  apply_family_defaults(v);
  v.unk = 1;
  v.cls = v.bos = 2;
  v.sep = 3;
  return v;
}

struct Tokenizers {
  std::vector<std::unique_ptr<Tokenizer>> byte_level_bpe;
  std::unique_ptr<Tokenizer> spm, wpm;
};

const Tokenizers& tokenizers() {
  static const Tokenizers t = [] {
    Tokenizers out;
    for (const char* pre : {"default", "gpt-2", "llama-bpe", "qwen2", "deepseek-llm",
                            "deepseek-coder", "falcon", "starcoder"}) {
      out.byte_level_bpe.push_back(std::make_unique<Tokenizer>(byte_level(pre)));
    }
    out.spm = std::make_unique<Tokenizer>(sentencepiece());
    out.wpm = std::make_unique<Tokenizer>(wordpiece());
    return out;
  }();
  return t;
}

void check(bool ok) {
  if (!ok) __builtin_trap();
}

std::string stream_all(const Tokenizer& tok, const std::vector<int32_t>& ids) {
  StreamDecoder stream(tok);
  std::string out;
  for (int32_t id : ids) out += stream.push(id);
  out += stream.flush();
  return out;
}

void exercise(const Tokenizer& tok, std::string_view text, EncodeOptions opts, bool exact) {
  std::vector<int32_t> ids = tok.encode(text, opts);
  for (int32_t id : ids) check(tok.valid_id(id));
  std::string decoded = tok.decode(ids);
  if (exact) check(decoded == text);
  std::string streamed = stream_all(tok, ids);
  check(streamed == utf8_sanitize(decoded));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Tokenizers& t = tokenizers();
  const uint8_t selector = data[0];
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  EncodeOptions opts{.add_special = (selector & 1) != 0, .parse_special = (selector & 2) != 0};
  const Tokenizer& bpe = *t.byte_level_bpe[(selector >> 2) % t.byte_level_bpe.size()];
  // Without specials in play, byte-level BPE is exactly reversible.
  exercise(bpe, text, opts, !opts.parse_special);
  exercise(*t.spm, text, opts, false);
  exercise(*t.wpm, text, opts, false);
  return 0;
}
