// tokenizer.json loading: documents rebuilt from the reference vocabularies
// must tokenize exactly like the GGUF originals; hostile documents fail
// cleanly.
#include "engine/tokenizer/hf_vocab.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "engine/format/format_error.h"
#include "small_vocab.h"
#include "vocab_files.h"

namespace hydra::engine {
namespace {

namespace bj = boost::json;
using testing::tokenizer_for;
using testing::vocab_cases;

constexpr std::string_view kWordStart = "\xE2\x96\x81";

bj::object added_token(int64_t id, const std::string& content, bool special) {
  return {{"id", id},        {"content", content}, {"special", special},
          {"lstrip", false}, {"rstrip", false},    {"normalized", false}};
}

// A byte-level BPE tokenizer.json equivalent to a GGUF vocabulary.
std::string byte_level_json(const VocabData& v, bool merges_as_arrays, bj::value pre) {
  bj::object vocab;
  bj::array added;
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    vocab[v.tokens[i]] = static_cast<int64_t>(i);
    if (v.token_types[i] == static_cast<int32_t>(TokenType::kControl)) {
      added.push_back(added_token(static_cast<int64_t>(i), v.tokens[i], true));
    }
  }
  bj::array merges;
  for (const std::string& m : v.merges) {
    size_t sp = m.find(' ', 1);
    if (merges_as_arrays) {
      merges.push_back(bj::array{bj::string(m.substr(0, sp)), bj::string(m.substr(sp + 1))});
    } else {
      merges.push_back(bj::string(m));
    }
  }
  bj::object model{{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}};
  bj::object root{{"model", model},
                  {"added_tokens", added},
                  {"pre_tokenizer", pre},
                  {"decoder", bj::object{{"type", "ByteLevel"}}}};
  return bj::serialize(root);
}

void expect_same_as_reference(const Tokenizer& tok, const std::string& name) {
  for (const auto& c : vocab_cases(name)) {
    EXPECT_EQ(tok.encode(c.input, {.add_special = false}), c.expected) << name << ": " << c.input;
  }
}

TEST(HfVocab, ByteLevelBpeMatchesReference) {
  const Tokenizer& gguf = tokenizer_for("gpt-2");
  bj::object pre{{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}};
  VocabData v = vocab_from_tokenizer_json(byte_level_json(gguf.vocab(), true, pre));
  EXPECT_EQ(v.model, "gpt2");
  EXPECT_EQ(v.pre, "gpt-2");
  EXPECT_EQ(v.merges, gguf.vocab().merges);
  Tokenizer tok(std::move(v));
  expect_same_as_reference(tok, "gpt-2");
}

TEST(HfVocab, MergesAsStringsAndAsPairsAgree) {
  VocabData small = testing::byte_bpe_vocab("gpt-2", {"h e", "l l", "he ll", "hell o"});
  bj::object pre{{"type", "ByteLevel"}};
  Tokenizer as_strings(vocab_from_tokenizer_json(byte_level_json(small, false, pre)));
  Tokenizer as_pairs(vocab_from_tokenizer_json(byte_level_json(small, true, pre)));
  auto ids = as_strings.encode("hello hell", {.add_special = false});
  EXPECT_EQ(ids, (std::vector<int32_t>{as_strings.token_id("hello"),
                                       as_strings.token_id("\xC4\xA0"),  // "Ġ"
                                       as_strings.token_id("hell")}));
  EXPECT_EQ(as_pairs.encode("hello hell", {.add_special = false}), ids);
}

TEST(HfVocab, RecognisesFamiliesFromSplitPatterns) {
  VocabData small = testing::byte_bpe_vocab("gpt-2", {"a b"});
  auto split = [](const char* regex) {
    return bj::object{{"type", "Split"},
                      {"pattern", bj::object{{"Regex", regex}}},
                      {"behavior", "Isolated"},
                      {"invert", false}};
  };
  auto sequence = [](bj::array items) {
    return bj::object{{"type", "Sequence"}, {"pretokenizers", items}};
  };
  bj::object byte_level{{"type", "ByteLevel"}, {"use_regex", false}};
  const char* llama3 =
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
      "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  const char* qwen2 =
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
      "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  struct Case {
    bj::value pre;
    const char* family;
  } cases[] = {
      {sequence({split(llama3), byte_level}), "llama-bpe"},
      {sequence({split(qwen2), byte_level}), "qwen2"},
      {sequence({split("[\r\n]"), split("\\s?\\p{L}+"), split("\\s?\\p{P}+"), byte_level}),
       "deepseek-coder"},
      {sequence({bj::object{{"type", "Digits"}, {"individual_digits", true}}, byte_level}),
       "starcoder"},
      {sequence({bj::object{{"type", "Punctuation"}}, byte_level}), "falcon"},
  };
  for (auto& c : cases) {
    VocabData v = vocab_from_tokenizer_json(byte_level_json(small, false, c.pre));
    EXPECT_EQ(v.pre, c.family);
    Tokenizer tok(std::move(v));
    EXPECT_EQ(tok.decode(tok.encode("ab 12 x", {.add_special = false})), "ab 12 x");
  }
  EXPECT_THROW(vocab_from_tokenizer_json(
                   byte_level_json(small, false, sequence({split("\\w+"), byte_level}))),
               FormatError);
}

TEST(HfVocab, WordPieceMatchesReference) {
  const Tokenizer& gguf = tokenizer_for("bert-bge");
  const VocabData& g = gguf.vocab();
  bj::object vocab;
  bj::array added;
  for (size_t i = 0; i < g.tokens.size(); ++i) {
    std::string t = g.tokens[i];
    if (g.token_types[i] == static_cast<int32_t>(TokenType::kControl)) {
      added.push_back(added_token(static_cast<int64_t>(i), t, true));
    } else if (t.compare(0, kWordStart.size(), kWordStart) == 0) {
      t.erase(0, kWordStart.size());
    } else if (!(t.front() == '[' && t.back() == ']')) {
      t = "##" + t;
    }
    vocab[t] = static_cast<int64_t>(i);
  }
  bj::object special_cls{{"SpecialToken", bj::object{{"id", "[CLS]"}, {"type_id", 0}}}};
  bj::object special_sep{{"SpecialToken", bj::object{{"id", "[SEP]"}, {"type_id", 0}}}};
  bj::object seq{{"Sequence", bj::object{{"id", "A"}, {"type_id", 0}}}};
  bj::object root{
      {"model", bj::object{{"type", "WordPiece"},
                           {"unk_token", "[UNK]"},
                           {"continuing_subword_prefix", "##"},
                           {"max_input_chars_per_word", 100},
                           {"vocab", vocab}}},
      {"added_tokens", added},
      {"normalizer",
       bj::object{{"type", "BertNormalizer"}, {"lowercase", true}, {"strip_accents", nullptr}}},
      {"pre_tokenizer", bj::object{{"type", "BertPreTokenizer"}}},
      {"post_processor", bj::object{{"type", "TemplateProcessing"},
                                    {"single", bj::array{special_cls, seq, special_sep}}}}};
  Tokenizer tok(vocab_from_tokenizer_json(bj::serialize(root)));
  EXPECT_EQ(tok.kind(), TokenizerKind::kWordPiece);
  expect_same_as_reference(tok, "bert-bge");
  EXPECT_EQ(tok.encode("Hello world", {.add_special = true}),
            (std::vector<int32_t>{101, 7592, 2088, 102}));
}

// A SentencePiece-style BPE document (merges over characters, U+2581 for
// spaces, <0xXX> byte fallback), as Llama 2 and Mistral publish.
TEST(HfVocab, SentencePieceStyleBpeWithByteFallback) {
  bj::object vocab{{"<unk>", 0}, {"<s>", 1}, {"</s>", 2}};
  int64_t next = 3;
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    vocab[buf] = next++;
  }
  for (const char* t :
       {"\xE2\x96\x81", "h", "i", "\xE2\x96\x81h", "\xE2\x96\x81hi", "t", "he", "th"}) {
    vocab[t] = next++;
  }
  bj::array merges{"\xE2\x96\x81 h", "\xE2\x96\x81h i", "h e", "t h"};
  bj::object meta{{"type", "Metaspace"},
                  {"replacement", "\xE2\x96\x81"},
                  {"prepend_scheme", "first"},
                  {"split", false}};
  bj::object root{
      {"model", bj::object{{"type", "BPE"},
                           {"vocab", vocab},
                           {"merges", merges},
                           {"byte_fallback", true},
                           {"unk_token", "<unk>"}}},
      {"added_tokens", bj::array{added_token(0, "<unk>", true), added_token(1, "<s>", true),
                                 added_token(2, "</s>", true)}},
      {"pre_tokenizer", meta},
      {"post_processor",
       bj::object{{"type", "TemplateProcessing"},
                  {"single", bj::array{bj::object{{"SpecialToken", bj::object{{"id", "<s>"}}}},
                                       bj::object{{"Sequence", bj::object{{"id", "A"}}}}}}}}};
  VocabData v = vocab_from_tokenizer_json(bj::serialize(root));
  EXPECT_EQ(v.model, "llama");
  EXPECT_TRUE(v.add_space_prefix);
  EXPECT_TRUE(v.add_bos);
  EXPECT_EQ(v.bos, 1);
  Tokenizer tok(std::move(v));
  auto ids = tok.encode("hi thé", {.add_special = true});
  // <s> ▁hi ▁ th <0xC3> <0xA9>: "é" is not a token, so its bytes fall back.
  std::vector<int32_t> want{1,
                            tok.token_id("\xE2\x96\x81hi"),
                            tok.token_id("\xE2\x96\x81"),
                            tok.token_id("th"),
                            tok.token_id("<0xC3>"),
                            tok.token_id("<0xA9>")};
  EXPECT_EQ(ids, want);
  EXPECT_EQ(tok.decode(ids), "hi thé");
}

TEST(HfVocab, RejectsBrokenDocuments) {
  const char* bad[] = {
      "",
      "{",
      "[]",
      R"({"model": {"type": "Unigram", "vocab": [["a", 0.0]]}})",
      R"({"model": {"type": "BPE", "vocab": {"a": -1}, "merges": []}})",
      R"({"model": {"type": "BPE", "vocab": {"a": 99999999999}, "merges": []}})",
      R"({"model": {"type": "BPE", "vocab": [], "merges": []}})",
      R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [7]}})",
      R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "added_tokens": [{"content": "x"}]})",
  };
  for (const char* doc : bad) {
    EXPECT_THROW(vocab_from_tokenizer_json(doc), FormatError) << doc;
  }
  // Well-formed JSON whose merges do not parse fails when the tokenizer is built.
  VocabData v = vocab_from_tokenizer_json(
      R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["ab"]},
          "pre_tokenizer": {"type": "ByteLevel"}})");
  EXPECT_THROW(Tokenizer{v}, FormatError);
}

TEST(TokenizerValidation, RejectsInconsistentVocabularies) {
  VocabData empty;
  empty.model = "gpt2";
  EXPECT_THROW(Tokenizer{empty}, FormatError);
  VocabData v = tokenizer_for("gpt-2").vocab();
  v.model = "rwkv";
  EXPECT_THROW(Tokenizer{v}, FormatError);
  v.model = "gpt2";
  v.pre = "mystery";
  EXPECT_THROW(Tokenizer{v}, FormatError);
  v.pre = "gpt-2";
  v.token_types.pop_back();
  EXPECT_THROW(Tokenizer{v}, FormatError);
}

}  // namespace
}  // namespace hydra::engine
