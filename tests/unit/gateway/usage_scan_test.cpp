#include "gateway/usage_scan.h"

#include <gtest/gtest.h>

namespace hydra::gateway {
namespace {

TEST(UsageScanTest, ReadsTheCountsOfAnAnswer) {
  AnswerUsage u =
      scan_usage(R"({"id":"c-1","object":"chat.completion","model":"m","choices":[{"index":0,)"
                 R"("message":{"role":"assistant","content":"t0 t1"},"finish_reason":"length"}],)"
                 R"("usage":{"prompt_tokens":12,"completion_tokens":4,"total_tokens":16,)"
                 R"("prompt_tokens_details":{"cached_tokens":8,"audio_tokens":0}}})");
  EXPECT_TRUE(u.valid);
  ASSERT_TRUE(u.found);
  EXPECT_EQ(u.prompt_tokens, 12);
  EXPECT_EQ(u.completion_tokens, 4);
  EXPECT_EQ(u.cached_tokens, 8);
}

TEST(UsageScanTest, OnlyTheTopLevelUsageCounts) {
  AnswerUsage u = scan_usage(
      R"({"choices":[{"usage":{"prompt_tokens":99}}],"meta":{"usage":{"prompt_tokens":98}},)"
      R"("usage":{"prompt_tokens":{"prompt_tokens":97},"completion_tokens":2}})");
  ASSERT_TRUE(u.found);
  EXPECT_EQ(u.prompt_tokens, 0);  // an object is not a count
  EXPECT_EQ(u.completion_tokens, 2);
  EXPECT_EQ(u.cached_tokens, 0);
}

// As in a parsed document, the last of duplicate keys wins.
TEST(UsageScanTest, TheLastOfDuplicateKeysWins) {
  AnswerUsage u = scan_usage(
      R"({"usage":{"prompt_tokens":5,"completion_tokens":6,"prompt_tokens_details":{"cached_tokens":1}},)"
      R"("usage":{"prompt_tokens":7,"prompt_tokens":8,"prompt_tokens_details":{"cached_tokens":2},)"
      R"("prompt_tokens_details":null}})");
  ASSERT_TRUE(u.found);
  EXPECT_EQ(u.prompt_tokens, 8);
  EXPECT_EQ(u.completion_tokens, 0);
  EXPECT_EQ(u.cached_tokens, 0);
  EXPECT_FALSE(scan_usage(R"({"usage":{"prompt_tokens":5},"usage":null})").found);
}

TEST(UsageScanTest, CountsAreReadLikeCountOrZero) {
  AnswerUsage u = scan_usage(R"({"usage":{"prompt_tokens":3.0,"completion_tokens":2.5,)"
                             R"("prompt_tokens_details":{"cached_tokens":"7"}}})");
  EXPECT_EQ(u.prompt_tokens, 3);
  EXPECT_EQ(u.completion_tokens, 0);
  EXPECT_EQ(u.cached_tokens, 0);
  u = scan_usage(R"({"usage":{"prompt_tokens":18446744073709551615,"completion_tokens":1e300}})");
  EXPECT_EQ(u.prompt_tokens, 0);
  EXPECT_EQ(u.completion_tokens, 0);
}

TEST(UsageScanTest, EscapedKeysAreReadUnescaped) {
  AnswerUsage u = scan_usage(R"({"us\u0061ge":{"prompt_tok\u0065ns":4}})");
  ASSERT_TRUE(u.found);
  EXPECT_EQ(u.prompt_tokens, 4);
}

TEST(UsageScanTest, AnythingButOneObjectIsNotAnAnswer) {
  for (const char* text : {R"([{"usage":{"prompt_tokens":1}}])", R"("usage")", "",
                           R"({"usage":{"prompt_tokens":1}} x)", R"({"usage":{"prompt_tokens":1})",
                           R"({"usage":{"prompt_tokens":1}},{})"}) {
    AnswerUsage u = scan_usage(text);
    EXPECT_FALSE(u.valid) << text;
    EXPECT_FALSE(u.found) << text;
  }
  EXPECT_TRUE(scan_usage(" {\"usage\":{\"prompt_tokens\":1}} \n").found);
}

}  // namespace
}  // namespace hydra::gateway
