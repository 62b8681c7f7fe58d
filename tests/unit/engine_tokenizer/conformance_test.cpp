// Every reference vocabulary must tokenize every reference input to exactly
// the published ids.
#include <gtest/gtest.h>

#include "vocab_files.h"

namespace hydra::engine {
namespace {

using testing::tokenizer_for;
using testing::vocab_cases;
using testing::vocab_names;

std::string ids_text(const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) s += " " + std::to_string(id);
  return s;
}

class VocabConformance : public ::testing::TestWithParam<std::string> {};

TEST_P(VocabConformance, EncodesEveryInputExactly) {
  const Tokenizer& tok = tokenizer_for(GetParam());
  auto cases = vocab_cases(GetParam());
  ASSERT_GT(cases.size(), 10u);
  for (size_t i = 0; i < cases.size(); ++i) {
    auto got = tok.encode(cases[i].input, {.add_special = false, .parse_special = false});
    EXPECT_EQ(ids_text(got), ids_text(cases[i].expected))
        << GetParam() << " input #" << i << ": '" << cases[i].input << "'";
  }
}

// Byte-level and SentencePiece vocabularies are lossless: decoding the ids
// of any input gives the input back. (WordPiece lowercases and drops
// accents, so it is checked separately.)
TEST(VocabRoundTrip, DecodeRestoresEveryInput) {
  size_t checked = 0;
  for (const std::string& name : vocab_names()) {
    const Tokenizer& tok = tokenizer_for(name);
    if (tok.kind() == TokenizerKind::kWordPiece) continue;
    for (const auto& c : vocab_cases(name)) {
      auto ids = tok.encode(c.input, {.add_special = false, .parse_special = false});
      EXPECT_EQ(tok.decode(ids), c.input) << name;
      // With BOS added and not rendered, the text is the same.
      auto with_bos = tok.encode(c.input, {.add_special = true, .parse_special = false});
      EXPECT_EQ(tok.decode(with_bos), c.input) << name;
    }
    ++checked;
  }
  EXPECT_GE(checked, 7u);
}

std::vector<std::string> all_names() {
  return vocab_names();
}

INSTANTIATE_TEST_SUITE_P(AllVocabs, VocabConformance, ::testing::ValuesIn(all_names()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) {
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

TEST(VocabConformanceSet, CoversEveryFamily) {
  auto names = vocab_names();
  for (const char* family : {"gpt-2", "deepseek-llm", "deepseek-coder", "falcon", "starcoder",
                             "llama-spm", "phi-3", "bert-bge"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), family), names.end()) << family;
  }
}

}  // namespace
}  // namespace hydra::engine
