// The JSON recogniser accepts exactly prefixes of valid objects (checked
// against Boost.JSON), and its completion always closes them.
#include "engine/sampling/json_grammar.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <random>

namespace hydra::engine {
namespace {

bool parses_as_object(const std::string& text) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  return !ec && v.is_object();
}

bool accepts(const std::string& text) {
  JsonGrammar g;
  return g.advance(text);
}

TEST(JsonGrammar, AcceptsValidObjects) {
  for (const char* doc :
       {"{}", " {\"a\":1}", "{\"a\": [1, -2.5e+3, 0, 0.25E-2, true, false, null, \"x\"]}",
        "{\"k\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\uABCD\": {\"n\": {}}, \"e\": []}",
        "{\"utf8\": \"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"}", "{\n\t\"a\" : [ [ ] ]\r\n}"}) {
    JsonGrammar g;
    EXPECT_TRUE(g.advance(doc)) << doc;
    EXPECT_TRUE(g.complete()) << doc;
    EXPECT_TRUE(parses_as_object(doc)) << doc;
  }
}

TEST(JsonGrammar, RejectsWhatBoostJsonRejects) {
  for (const char* doc : {"[]",
                          "1",
                          "\"s\"",
                          "{a:1}",
                          "{\"a\":01}",
                          "{\"a\":1.}",
                          "{\"a\":-}",
                          "{\"a\":1,}",
                          "{\"a\":[1,]}",
                          "{\"a\":tru}",
                          "{\"a\":\"\x01\"}",
                          "{\"a\":\"\\x\"}",
                          "{\"a\":\"\\uD800\"}",
                          "{\"a\":\"\xC0\xAF\"}",
                          "{\"a\":\"\xED\xA0\x80\"}",
                          "{\"a\":\"\xF5\x80\x80\x80\"}",
                          "{\"a\":1}}",
                          "{\"a\" 1}",
                          "{\"a\":1]",
                          "{}x"}) {
    EXPECT_FALSE(accepts(doc) && JsonGrammar().advance(doc) && [&] {
      JsonGrammar g;
      g.advance(doc);
      return g.complete();
    }()) << doc;
    EXPECT_FALSE(parses_as_object(doc)) << doc;
  }
}

TEST(JsonGrammar, DepthIsLimited) {
  JsonGrammar g(3);
  EXPECT_TRUE(g.advance("{\"a\":[{"));
  EXPECT_FALSE(JsonGrammar(3).advance("{\"a\":[{\"b\":["));
}

// Random byte walks: every accepted prefix plus its completion parses, and
// following the completion shortens it one byte at a time.
TEST(JsonGrammar, EveryAcceptedPrefixCompletesToValidJson) {
  const std::string alphabet =
      "{}[]\":,0123456789-+.eEtrufalsn \\u\n\xC3\xA9\xE2\x82\xAC"
      "abcdxyz";
  std::mt19937 rng(1234);
  int checked = 0;
  for (int walk = 0; walk < 300; ++walk) {
    JsonGrammar g;
    std::string text;
    for (int step = 0; step < 60 && !g.complete(); ++step) {
      const char c = alphabet[rng() % alphabet.size()];
      JsonGrammar next = g;
      if (!next.advance(static_cast<uint8_t>(c))) continue;
      g = next;
      text += c;
      const std::string done = g.completion();
      ASSERT_TRUE(parses_as_object(text + done)) << text << " + " << done;
      JsonGrammar follow = g;
      for (size_t i = 0; i < done.size(); ++i) {
        ASSERT_EQ(follow.completion_size(), done.size() - i) << text;
        ASSERT_TRUE(follow.advance(static_cast<uint8_t>(done[i]))) << text;
      }
      ASSERT_TRUE(follow.complete()) << text;
      ++checked;
    }
  }
  EXPECT_GT(checked, 1500);
}

}  // namespace
}  // namespace hydra::engine
