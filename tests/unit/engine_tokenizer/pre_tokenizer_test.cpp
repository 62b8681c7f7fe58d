// The hand-written split patterns, word by word, on inputs that exercise
// each alternative of the published patterns.
#include "engine/tokenizer/pre_tokenizer.h"

#include <gtest/gtest.h>

#include "engine/tokenizer/unicode.h"

namespace hydra::engine {
namespace {

std::vector<std::string> words(PreTokenizer pre, const std::string& text) {
  DecodedText d;
  decode_utf8(text, d);
  std::vector<uint32_t> ends, scratch;
  pre_tokenize(pre, d.cps.data(), d.flags.data(), d.cps.size(), ends, scratch);
  std::vector<std::string> out;
  uint32_t start = 0;
  for (uint32_t end : ends) {
    out.push_back(text.substr(d.offsets[start], d.offsets[end] - d.offsets[start]));
    start = end;
  }
  return out;
}

using W = std::vector<std::string>;

TEST(PreTokenizer, Gpt2) {
  EXPECT_EQ(words(PreTokenizer::kGpt2, "Hello, y'all! I'm  fine\n\n  ok 123abc"),
            (W{"Hello", ",", " y", "'", "all", "!", " I", "'m", " ", " fine", "\n\n ", " ok",
               " 123", "abc"}));
  // Contractions are case-sensitive here: 'RE is an apostrophe, then a word.
  EXPECT_EQ(words(PreTokenizer::kGpt2, "'RE 're"), (W{"'", "RE", " '", "re"}));
  // A lone tab before a word matches nothing and stays a piece of its own.
  EXPECT_EQ(words(PreTokenizer::kGpt2, "\tx  "), (W{"\t", "x", "  "}));
}

TEST(PreTokenizer, Llama3) {
  EXPECT_EQ(words(PreTokenizer::kLlama3, "Hello, y'all! 1234567 'RE"),
            (W{"Hello", ",", " y", "'all", "!", " ", "123", "456", "7", " '", "RE"}));
  EXPECT_EQ(words(PreTokenizer::kLlama3, "I'VE seen"), (W{"I", "'VE", " seen"}));
  // A non-letter, non-digit, non-newline character joins the following word;
  // after a space, punctuation runs are words of their own.
  EXPECT_EQ(words(PreTokenizer::kLlama3, "(abc) _x"), (W{"(abc", ")", " _", "x"}));
  // Whitespace up to the last line break is one word; trailing spaces before
  // a word leave one space for it.
  EXPECT_EQ(words(PreTokenizer::kLlama3, "a \n\n  b   "), (W{"a", " \n\n", " ", " b", "   "}));
  // Punctuation takes trailing line breaks with it.
  EXPECT_EQ(words(PreTokenizer::kLlama3, "x.\n\ny"), (W{"x", ".\n\n", "y"}));
  EXPECT_EQ(words(PreTokenizer::kLlama3, "我想在apple工作1314151天～"),
            (W{"我想在apple工作", "131", "415", "1", "天", "～"}));
}

TEST(PreTokenizer, Qwen2SplitsDigitsOneByOne) {
  EXPECT_EQ(words(PreTokenizer::kQwen2, "ab 2024!"), (W{"ab", " ", "2", "0", "2", "4", "!"}));
  EXPECT_EQ(words(PreTokenizer::kQwen2, "It'S ok"), (W{"It", "'S", " ok"}));
}

TEST(PreTokenizer, DeepseekCoder) {
  EXPECT_EQ(words(PreTokenizer::kDeepseekCoder, "Hi, y'all 42\nok"),
            (W{"Hi", ",", " y", "'", "all", " ", "4", "2", "\n", "ok"}));
}

TEST(PreTokenizer, DeepseekLlm) {
  // Digits group, CJK runs group, trailing whitespace is a word.
  EXPECT_EQ(words(PreTokenizer::kDeepseekLlm, "Ab 123 你好x  "),
            (W{"Ab", " ", "123", " ", "你好", "x", "  "}));
  // Cyrillic is in the letter class; the ideographic space is not punctuation.
  EXPECT_EQ(words(PreTokenizer::kDeepseekLlm, "на!"), (W{"на", "!"}));
}

TEST(PreTokenizer, FalconAndStarcoder) {
  EXPECT_EQ(words(PreTokenizer::kFalcon, "a+b 12345"), (W{"a", "+", "b", " ", "123", "45"}));
  EXPECT_EQ(words(PreTokenizer::kStarcoder, "x 123"), (W{"x", " ", "1", "2", "3"}));
}

TEST(PreTokenizer, LongWhitespaceIsLinear) {
  // A hostile input must not make the trailing-whitespace rule quadratic.
  std::string text(200000, ' ');
  text += "1";
  auto w = words(PreTokenizer::kDeepseekLlm, text);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w.back(), "1");
}

TEST(PreTokenizer, NamesAndAliases) {
  PreTokenizer p;
  ASSERT_TRUE(pre_tokenizer_from_name("llama-bpe", p));
  EXPECT_EQ(p, PreTokenizer::kLlama3);
  ASSERT_TRUE(pre_tokenizer_from_name("qwen2", p));
  EXPECT_EQ(p, PreTokenizer::kQwen2);
  EXPECT_FALSE(pre_tokenizer_from_name("no-such-family", p));
}

}  // namespace
}  // namespace hydra::engine
