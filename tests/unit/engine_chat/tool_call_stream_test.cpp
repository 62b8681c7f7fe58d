// Tool calls recognised while a reply streams: content before the markup
// streams, each call is announced once with its name and its arguments
// follow in fragments, the markup never leaks, and whatever way the text is
// split into pieces the result equals parsing the whole reply.
#include "engine/chat/tool_call_stream.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <random>

namespace hydra::engine::chat {
namespace {

namespace bj = boost::json;
using Kind = ToolCallPiece::Kind;

// What a client assembles from the pieces.
struct Assembled {
  std::string content;
  std::vector<ToolCall> calls;
  int content_pieces = 0;
  int argument_pieces = 0;
};

IdGenerator counting_ids() {
  auto n = std::make_shared<int>(0);
  return [n] { return "call_" + std::to_string((*n)++); };
}

void take(const std::vector<ToolCallPiece>& pieces, Assembled& a) {
  for (const ToolCallPiece& p : pieces) {
    switch (p.kind) {
      case Kind::kContent:
        a.content += p.text;
        ++a.content_pieces;
        break;
      case Kind::kCallStart:
        ASSERT_EQ(p.index, static_cast<int>(a.calls.size())) << "calls are announced in order";
        a.calls.push_back({p.id, p.name, p.text});
        break;
      case Kind::kArguments:
        ASSERT_LT(p.index, static_cast<int>(a.calls.size())) << "arguments after their call";
        a.calls[p.index].arguments += p.text;
        ++a.argument_pieces;
        break;
    }
  }
}

// Streams `text` cut at the given sizes (cycled).
Assembled stream(const std::string& text, ToolCallFormat format, std::vector<size_t> cuts) {
  ToolCallStream s(format, counting_ids());
  Assembled a;
  size_t pos = 0, k = 0;
  while (pos < text.size()) {
    const size_t n = std::min(cuts[k++ % cuts.size()], text.size() - pos);
    take(s.push(std::string_view(text).substr(pos, n)), a);
    pos += n;
  }
  take(s.finish(), a);
  return a;
}

void expect_same_as_whole(const std::string& text, ToolCallFormat format) {
  const ParsedReply whole = parse_tool_calls(text, format, counting_ids());
  for (size_t cut : {1, 2, 3, 5, 7, 64}) {
    const Assembled a = stream(text, format, {cut});
    EXPECT_EQ(a.content, whole.content.value_or("")) << "cut " << cut << ": " << text;
    ASSERT_EQ(a.calls.size(), whole.tool_calls.size()) << "cut " << cut << ": " << text;
    for (size_t i = 0; i < a.calls.size(); ++i) {
      EXPECT_EQ(a.calls[i].name, whole.tool_calls[i].name);
      EXPECT_EQ(bj::parse(a.calls[i].arguments), bj::parse(whole.tool_calls[i].arguments))
          << a.calls[i].arguments;
      EXPECT_EQ(a.calls[i].id, "call_" + std::to_string(i));
    }
  }
}

TEST(ToolCallStream, HermesCallStreamsNameThenArgumentFragments) {
  const std::string text =
      "Let me look.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": "
      "{\"city\": \"Paris\", \"days\": [1, 2]}}\n</tool_call>";
  const Assembled a = stream(text, ToolCallFormat::kHermes, {3});
  EXPECT_EQ(a.content, "Let me look.");
  ASSERT_EQ(a.calls.size(), 1u);
  EXPECT_EQ(a.calls[0].name, "get_weather");
  EXPECT_EQ(a.calls[0].arguments, R"({"city": "Paris", "days": [1, 2]})");
  EXPECT_GT(a.argument_pieces, 5) << "arguments arrive in fragments, not at the end";
  EXPECT_GT(a.content_pieces, 2) << "content streams before the call";
}

TEST(ToolCallStream, ContentIsSentBeforeTheCallEnds) {
  ToolCallStream s(ToolCallFormat::kHermes, counting_ids());
  Assembled a;
  take(s.push("Checking "), a);
  EXPECT_EQ(a.content, "Checking") << "trailing space waits: it is dropped before a call";
  take(s.push("now.<tool"), a);
  EXPECT_EQ(a.content, "Checking now.") << "a possible tag start is held back";
  take(s.push("_call>{\"name\": \"f\", \"argu"), a);
  EXPECT_TRUE(a.calls.empty()) << "the header is not complete yet";
  take(s.push("ments\": {\"x\": 1"), a);
  ASSERT_EQ(a.calls.size(), 1u);
  EXPECT_EQ(a.calls[0].name, "f");
  EXPECT_EQ(a.calls[0].arguments, "{\"x\": 1");
  take(s.push("}}</tool_call>"), a);
  take(s.finish(), a);
  EXPECT_EQ(a.calls[0].arguments, "{\"x\": 1}");
  EXPECT_EQ(a.content, "Checking now.");
  EXPECT_EQ(s.calls(), 1);
}

TEST(ToolCallStream, EverySplitGivesTheWholeParse) {
  const std::vector<std::string> hermes = {
      "plain words, no calls at all  ",
      "<tool_call>\n{\"name\": \"a\", \"arguments\": {\"q\": \"x}y\\\"z\"}}\n</tool_call>\n"
      "<tool_call>\n{\"name\": \"b\", \"arguments\": {}}\n</tool_call>",
      "<tool_call>{\"name\": \"s\", \"arguments\": \"{\\\"k\\\": 2}\"}</tool_call>",
      "<tool_call>{\"name\": \"n\"}</tool_call>",
      "before <tool_call>{\"name\": \"c\", \"arguments\": {\"v\": [1, {\"w\": null}]}}",
      "<tool_call>{broken json</tool_call>",
      "a < b and <tool_ but not a call",
      "text ending in <tool_c",
  };
  for (const auto& t : hermes) expect_same_as_whole(t, ToolCallFormat::kHermes);
  const std::vector<std::string> llama = {
      "{\"name\": \"get_time\", \"parameters\": {\"tz\": \"UTC\"}}",
      "<|python_tag|>{\"name\": \"a\", \"parameters\": {}}; {\"name\": \"b\", \"parameters\": "
      "{\"x\": true}}",
      "  Hello there, no call.",
      "{\"type\": \"function\", \"name\": \"odd\", \"parameters\": {}}",
      "{not json",
  };
  for (const auto& t : llama) expect_same_as_whole(t, ToolCallFormat::kLlama3Json);
}

TEST(ToolCallStream, MarkupNeverLeaksIntoContent) {
  std::mt19937 rng(7);
  const std::string text =
      "Sure.\n<tool_call>\n{\"name\": \"lookup\", \"arguments\": {\"id\": 42}}\n</tool_call>\n"
      "<tool_call>\n{\"name\": \"lookup\", \"arguments\": {\"id\": 43}}\n</tool_call>";
  for (int round = 0; round < 50; ++round) {
    std::vector<size_t> cuts;
    for (int i = 0; i < 16; ++i) cuts.push_back(1 + rng() % 9);
    const Assembled a = stream(text, ToolCallFormat::kHermes, cuts);
    EXPECT_EQ(a.content, "Sure.");
    ASSERT_EQ(a.calls.size(), 2u);
    EXPECT_EQ(a.calls[1].arguments, "{\"id\": 43}");
    EXPECT_EQ(a.content.find('<'), std::string::npos);
  }
}

}  // namespace
}  // namespace hydra::engine::chat
