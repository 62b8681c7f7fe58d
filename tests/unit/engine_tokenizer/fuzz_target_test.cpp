// Runs the tokenizer fuzz target (tests/fuzz/fuzz_tokenizer.cpp) in the
// ordinary build over hand-picked hostile inputs, so it always compiles and
// its checks hold even where libFuzzer is not available.
#include <gtest/gtest.h>

#include "../../fuzz/fuzz_tokenizer.cpp"

namespace {

TEST(FuzzTarget, SurvivesHostileInputs) {
  std::vector<std::string> inputs = {
      "",
      "the in there",
      "\xFF\xFE\xC0\x80\xED\xA0\x80\xF4\x90\x80\x80 half \xE4\xBD",
      "<|end|><|end|x <|end|>",
      std::string(600, ' ') + "1",
      std::string(300, '\n') + "\t\t a",
      "\xE4\xBD\xA0\xE4\xBD\xA0 ab,ab \xE2\x96\x81 [CLS] 'S 'll 123456789",
      std::string("\0\0a\0", 4),
      "\xF0\x9F\xA6\x99\xF0\x9F\x98\xB6\xE2\x80\x8D\xF0\x9F\x8C\xAB\xEF\xB8\x8F",
  };
  size_t runs = 0;
  for (int selector = 0; selector < 64; ++selector) {
    for (const std::string& in : inputs) {
      std::string data(1, static_cast<char>(selector));
      data += in;
      EXPECT_EQ(LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()), data.size()),
                0);
      ++runs;
    }
  }
  EXPECT_EQ(runs, 64 * inputs.size());
}

}  // namespace
