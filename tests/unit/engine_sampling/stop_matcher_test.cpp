#include "engine/sampling/stop_matcher.h"

#include <gtest/gtest.h>

namespace hydra::engine {
namespace {

TEST(StopMatcher, FindsAStopStringSplitAcrossPieces) {
  StopMatcher m({"</answer>"});
  std::string out;
  for (const char* piece : {"The result", " is 4</", "ans", "wer> and more"}) {
    out += m.push(piece);
    if (m.stopped()) break;
  }
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(out, "The result is 4");
  EXPECT_EQ(m.matched(), "</answer>");
  EXPECT_EQ(m.push("ignored"), "");
  EXPECT_EQ(m.flush(), "");
}

TEST(StopMatcher, HoldsBackOnlyWhatCouldStartAStop) {
  StopMatcher m({"STOP", "\n\n"});
  EXPECT_EQ(m.push("abc ST"), "abc ");
  EXPECT_EQ(m.push("OP"), "");
  EXPECT_TRUE(m.stopped());

  StopMatcher n({"STOP", "\n\n"});
  EXPECT_EQ(n.push("abc ST"), "abc ");
  EXPECT_EQ(n.push("ART\n"), "START");
  EXPECT_EQ(n.push("x"), "\nx");
  EXPECT_EQ(n.push("S"), "");
  EXPECT_FALSE(n.stopped());
  EXPECT_EQ(n.flush(), "S");
}

TEST(StopMatcher, EarliestStopWinsAndNoStopsPassesEverything) {
  StopMatcher m({"world", "o w"});
  EXPECT_EQ(m.push("hello world"), "hell");
  EXPECT_EQ(m.matched(), "o w");
  StopMatcher none({});
  EXPECT_EQ(none.push("anything"), "anything");
  EXPECT_EQ(none.flush(), "");
}

TEST(StopMatcher, OneByteAtATimeEqualsAllAtOnce) {
  const std::string text = "a<|end|b<|en<|end|>tail";
  StopMatcher whole({"<|end|>"});
  const std::string expect = whole.push(text);
  StopMatcher bytes({"<|end|>"});
  std::string got;
  for (char c : text) got += bytes.push(std::string(1, c));
  EXPECT_EQ(got, expect);
  EXPECT_EQ(got, "a<|end|b<|en");
}

}  // namespace
}  // namespace hydra::engine
