// Special and added tokens, and the BOS/EOS rules of each family.
#include <gtest/gtest.h>

#include "engine/tokenizer/tokenizer.h"
#include "small_vocab.h"
#include "vocab_files.h"

namespace hydra::engine {
namespace {

using testing::tokenizer_for;

constexpr EncodeOptions kPlain{.add_special = false, .parse_special = false};
constexpr EncodeOptions kParse{.add_special = false, .parse_special = true};

TEST(SpecialTokens, ControlTokensAreParsedOnlyWhenAsked) {
  const Tokenizer& tok = tokenizer_for("gpt-2");
  const int32_t eot = tok.token_id("<|endoftext|>");
  ASSERT_EQ(eot, 50256);
  auto parsed = tok.encode("Hello<|endoftext|>world", kParse);
  EXPECT_EQ(parsed, (std::vector<int32_t>{15496, eot, 6894}));
  auto plain = tok.encode("Hello<|endoftext|>world", kPlain);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), eot), 0);
  EXPECT_GT(plain.size(), 5u);
  // Rendering: control tokens appear only when asked.
  EXPECT_EQ(tok.decode(parsed), "Helloworld");
  EXPECT_EQ(tok.decode(parsed, true), "Hello<|endoftext|>world");
}

TEST(SpecialTokens, UserDefinedTokensAlwaysMatch) {
  // deepseek-coder lists "ü" as a user-defined token: it wins over BPE even
  // without parse_special, as in the reference tokenizer.
  const Tokenizer& tok = tokenizer_for("deepseek-coder");
  int32_t u = tok.token_id("ü");
  ASSERT_GE(u, 0);
  EXPECT_EQ(tok.token_type(u), TokenType::kUserDefined);
  auto ids = tok.encode("Führer", kPlain);
  EXPECT_NE(std::find(ids.begin(), ids.end(), u), ids.end());
  EXPECT_EQ(tok.decode(ids), "Führer");
}

TEST(SpecialTokens, LongestSpecialWinsAndStripFlagsApply) {
  VocabData v = testing::byte_bpe_vocab("gpt-2", {}, {"<a>", "<a><b>", "<c>"});
  int32_t a = testing::find_token(v, "<a>"), ab = testing::find_token(v, "<a><b>");
  int32_t c = testing::find_token(v, "<c>");
  v.token_flags.assign(v.tokens.size(), 0);
  v.token_flags[c] = kTokenLstrip | kTokenRstrip;
  Tokenizer tok(v);
  EXPECT_EQ(tok.encode("<a><b><a>", kParse), (std::vector<int32_t>{ab, a}));
  // Whitespace around <c> is swallowed; around <a> it is kept.
  auto ids = tok.encode("x  <c>  y <a> z", kParse);
  EXPECT_EQ(tok.decode(ids, true), "x<c>y <a> z");
}

TEST(SpecialTokens, SentencePieceBosAndSpacePrefix) {
  const Tokenizer& tok = tokenizer_for("llama-spm");
  auto ids = tok.encode("Hello", {.add_special = true, .parse_special = false});
  ASSERT_GE(ids.size(), 2u);
  EXPECT_EQ(ids.front(), 1);                               // <s>
  EXPECT_EQ(tok.token_text(ids[1]), "\xE2\x96\x81Hello");  // "▁Hello"
  EXPECT_EQ(tok.encode("", {.add_special = true, .parse_special = false}),
            (std::vector<int32_t>{1}));
  EXPECT_TRUE(tok.encode("", kPlain).empty());
  // After a parsed special token the next text gets its space prefix again.
  auto parsed = tok.encode("</s>Hello", kParse);
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed[0], 2);
  EXPECT_EQ(parsed[1], ids[1]);
}

TEST(SpecialTokens, BertWrapsInClsAndSep) {
  const Tokenizer& tok = tokenizer_for("bert-bge");
  auto ids = tok.encode("Hello world", {.add_special = true, .parse_special = false});
  EXPECT_EQ(ids, (std::vector<int32_t>{101, 7592, 2088, 102}));
  EXPECT_EQ(tok.decode(ids), "hello world");
  EXPECT_EQ(tok.decode(ids, true), "[CLS] hello world[SEP]");
  // [MASK] in text is a control token: parsed only on request.
  auto masked = tok.encode("a [MASK] b", kParse);
  EXPECT_NE(std::find(masked.begin(), masked.end(), 103), masked.end());
}

TEST(SpecialTokens, ByteLevelBosRules) {
  // deepseek asks for BOS; gpt-2 does not.
  const Tokenizer& ds = tokenizer_for("deepseek-llm");
  EXPECT_EQ(ds.encode("Hi", {.add_special = true}).front(), 100000);
  const Tokenizer& g = tokenizer_for("gpt-2");
  EXPECT_EQ(g.encode("Hi", {.add_special = true}), g.encode("Hi", kPlain));
  // Llama 3 style: BOS by default, whole-word tokens skip merging.
  VocabData v = testing::byte_bpe_vocab("llama-bpe", {"a b", "b c"}, {"<|begin_of_text|>"});
  v.bos = testing::find_token(v, "<|begin_of_text|>");
  v.tokens.push_back("abc");  // reachable only as a whole word
  v.token_types.push_back(1);
  Tokenizer l3(v);
  auto ids = l3.encode("abc", {.add_special = true});
  EXPECT_EQ(ids, (std::vector<int32_t>{v.bos, l3.token_id("abc")}));
  v.ignore_merges = false;
  Tokenizer merging(v);
  EXPECT_EQ(merging.encode("abc", kPlain),
            (std::vector<int32_t>{merging.token_id("ab"), merging.token_id("c")}));
}

}  // namespace
}  // namespace hydra::engine
