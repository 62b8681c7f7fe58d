// Matching: keywords, regular expressions, workspaces, directions, and
// streamed output split across chunks.
#include "moderation/rule_set.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "common/error.h"
#include "moderation/output_scanner.h"
#include "moderation/request_text.h"
#include "moderation/rule.h"

namespace hydra::moderation {
namespace {

ModerationRule rule(std::string id, std::string kind, std::string pattern,
                    std::string direction = "both", std::string workspace = "") {
  ModerationRule r;
  r.id = std::move(id);
  r.kind = std::move(kind);
  r.pattern = std::move(pattern);
  r.direction = std::move(direction);
  r.workspace_id = std::move(workspace);
  return r;
}

TEST(RuleSet, KeywordsIgnoreAsciiCaseAndMatchCjkExactly) {
  RuleSet set({rule("r1", "keyword", "Forbidden Word"), rule("r2", "keyword", "禁止词")});
  EXPECT_EQ(set.match_input("this has a FORBIDDEN word in it", "ws"), "r1");
  EXPECT_EQ(set.match_input("前面禁止词后面", "ws"), "r2");
  EXPECT_FALSE(set.match_input("forbidden-word", "ws"));
  EXPECT_FALSE(set.match_input("禁止", "ws"));
  EXPECT_FALSE(set.match_input("", "ws"));
}

TEST(RuleSet, RegexRulesUseRe2Syntax) {
  RuleSet set({rule("card", "regex", R"(\b\d{4}-\d{4}-\d{4}-\d{4}\b)"),
               rule("ci", "regex", "(?i)secret\\s+plan")});
  EXPECT_EQ(set.match_input("my card is 1234-5678-9012-3456.", "ws"), "card");
  EXPECT_EQ(set.match_input("the SECRET   Plan", "ws"), "ci");
  EXPECT_FALSE(set.match_input("1234-5678-9012", "ws"));
}

TEST(RuleSet, WorkspaceRulesApplyOnlyThereAndDirectionsAreSeparate) {
  RuleSet set({rule("global-in", "keyword", "alpha", "input"),
               rule("ws-out", "keyword", "beta", "output", "ws-1"),
               rule("off", "keyword", "gamma")});
  EXPECT_EQ(set.match_input("alpha", "anyone"), "global-in");
  EXPECT_FALSE(set.match_output("alpha", "anyone"));
  EXPECT_EQ(set.match_output("beta", "ws-1"), "ws-out");
  EXPECT_FALSE(set.match_output("beta", "ws-2"));
  EXPECT_FALSE(set.match_input("beta", "ws-1"));
  EXPECT_EQ(set.match_input("gamma", "ws-1"), "off");
}

TEST(RuleSet, DisabledRulesAreLeftOut) {
  auto r = rule("r", "keyword", "x");
  r.enabled = false;
  RuleSet set({r});
  EXPECT_EQ(set.size(), 0u);
  EXPECT_FALSE(set.has_input_rules());
  EXPECT_FALSE(set.match_input("x", "ws"));
}

TEST(RuleSet, HostileRegexIsLinearTime) {
  // Catastrophic for a backtracking engine; RE2 answers at once.
  RuleSet set({rule("evil", "regex", "(a+)+$")});
  std::string text(100000, 'a');
  text += 'b';
  EXPECT_FALSE(set.match_input(text, "ws"));
}

TEST(Rule, ValidationRefusesBadRules) {
  auto bad = [](const char* body) {
    try {
      rule_from_json(boost::json::parse(body));
    } catch (const ApiError& e) {
      return e.code() == ErrorCode::kParamError;
    }
    return false;
  };
  EXPECT_TRUE(bad(R"({"pattern":""})"));
  EXPECT_TRUE(bad(R"({"pattern":"x","kind":"glob"})"));
  EXPECT_TRUE(bad(R"({"pattern":"x","direction":"sideways"})"));
  EXPECT_TRUE(bad(R"({"pattern":"(unclosed","kind":"regex"})"));
  EXPECT_TRUE(bad(R"({"pattern":"x","colour":"red"})"));
  EXPECT_TRUE(bad((R"({"pattern":")" + std::string(2000, 'x') + R"("})").c_str()));
  auto ok = rule_from_json(boost::json::parse(R"({"pattern":"(?i)fine","kind":"regex"})"));
  EXPECT_EQ(ok.direction, "both");
  EXPECT_TRUE(ok.enabled);
  EXPECT_THROW(apply_rule_patch(ok, boost::json::parse(R"({"kind":"keyword"})")), ApiError);
}

TEST(OutputScanner, FindsKeywordsSplitAcrossChunks) {
  auto set = std::make_shared<const RuleSet>(
      std::vector<ModerationRule>{rule("r", "keyword", "launch codes", "output")});
  OutputScanner s(set, "ws");
  ASSERT_TRUE(s.active());
  EXPECT_FALSE(s.feed("here are the laun"));
  EXPECT_FALSE(s.feed("ch co"));
  EXPECT_EQ(s.feed("des: 0000"), "r");
}

TEST(OutputScanner, KeepsOnlyABoundedWindow) {
  auto set = std::make_shared<const RuleSet>(
      std::vector<ModerationRule>{rule("r", "keyword", "needle", "output")});
  OutputScanner s(set, "ws");
  EXPECT_FALSE(s.feed("nee"));
  // Far more text than the window between the two halves: no match.
  EXPECT_FALSE(s.feed(std::string(OutputScanner::kWindow * 4, '.')));
  EXPECT_FALSE(s.feed("dle"));
  OutputScanner none(std::make_shared<const RuleSet>(), "ws");
  EXPECT_FALSE(none.active());
  EXPECT_FALSE(none.feed("needle"));
}

TEST(RequestText, CollectsEveryTextField) {
  auto req = boost::json::parse(R"({
    "model":"m",
    "messages":[{"role":"system","content":"sys text"},
                {"role":"user","content":[{"type":"text","text":"part text"},
                                          {"type":"image_url","image_url":{"url":"u"}}]}],
    "prompt":["p1","p2"], "input":"emb", "query":"q", "documents":["d1",{"text":"d2"}],
    "negative_prompt":"neg"})");
  std::string t = request_text(req);
  for (const char* want : {"sys text", "part text", "p1", "p2", "emb", "q", "d1", "d2", "neg"}) {
    EXPECT_NE(t.find(want), std::string::npos) << want;
  }
  EXPECT_EQ(t.find("image_url"), std::string::npos);
  EXPECT_EQ(request_text(boost::json::parse("[1,2]")), "");
}

TEST(RequestText, AnswersAndChunks) {
  auto answer = boost::json::parse(R"({"choices":[
    {"message":{"content":"hello","tool_calls":[{"function":{"name":"f","arguments":"{\"a\":\"args\"}"}}]}},
    {"text":"completion"}]})");
  std::string t = answer_text(answer);
  EXPECT_NE(t.find("hello"), std::string::npos);
  EXPECT_NE(t.find("args"), std::string::npos);
  EXPECT_NE(t.find("completion"), std::string::npos);
  auto chunk = boost::json::parse(R"({"choices":[{"delta":{"content":"piece"}}]})");
  EXPECT_EQ(chunk_text(chunk), "piece");
  EXPECT_EQ(chunk_text(boost::json::parse(R"({"choices":[],"usage":{}})")), "");
}

}  // namespace
}  // namespace hydra::moderation
