// Response bodies from token events: tool calls in the model's text become
// OpenAI tool_calls (plain and streamed), plain text stays content, usage
// chunks close a stream.
#include "engine/server/response_shape.h"

#include <gtest/gtest.h>

#include "server_fixture.h"

namespace hydra::engine::test {
namespace {

namespace bj = boost::json;

TokenEvent text_event(int choice, std::string text, bool finished = false) {
  TokenEvent ev;
  ev.choice = choice;
  ev.token = 100;
  ev.text = std::move(text);
  ev.finished = finished;
  if (finished) ev.finish_reason = "stop";
  return ev;
}

const Tokenizer& tokenizer() {
  return *decoder_server().service->model().tokenizer;
}

const bj::object& only_choice(const bj::object& chunk) {
  return chunk.at("choices").at(0).as_object();
}

TEST(ResponseShape, HermesToolCallsBecomeOpenAiToolCalls) {
  auto shape = make_chat_shape("m", tokenizer(), 1, chat::ToolCallFormat::kHermes);
  // Content streams first; the markup never shows as content.
  std::vector<bj::object> a = shape->on_event(text_event(0, "Checking.\n<tool_call>\n{\"name\""));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(only_choice(a[0]).at("delta").at("content").as_string(), "Checking.");
  // Once the header is read: index, id, type and name, then argument fragments.
  std::vector<bj::object> b =
      shape->on_event(text_event(0, ": \"get_weather\", \"arguments\": {\"city\": "));
  ASSERT_EQ(b.size(), 2u);
  const auto& start = only_choice(b[0]).at("delta").at("tool_calls").at(0).as_object();
  EXPECT_EQ(start.at("index").as_int64(), 0);
  EXPECT_EQ(start.at("type").as_string(), "function");
  EXPECT_EQ(start.at("function").at("name").as_string(), "get_weather");
  EXPECT_TRUE(std::string(start.at("id").as_string()).starts_with("call_"));
  std::string args(only_choice(b[1])
                       .at("delta")
                       .at("tool_calls")
                       .at(0)
                       .at("function")
                       .at("arguments")
                       .as_string());
  EXPECT_EQ(args, "{\"city\": ");
  EXPECT_TRUE(only_choice(b[1]).at("finish_reason").is_null());
  std::vector<bj::object> c = shape->on_event(text_event(0, "\"Paris\"}}\n"));
  ASSERT_EQ(c.size(), 1u);
  const auto& more = only_choice(c[0]).at("delta").at("tool_calls").at(0).as_object();
  EXPECT_FALSE(more.contains("id")) << "only the first piece of a call names it";
  args += more.at("function").at("arguments").as_string();
  EXPECT_EQ(bj::parse(args), bj::parse(R"({"city":"Paris"})"));
  std::vector<bj::object> last = shape->on_event(text_event(0, "</tool_call>", true));
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(only_choice(last[0]).at("finish_reason").as_string(), "tool_calls");
  EXPECT_TRUE(only_choice(last[0]).at("delta").as_object().empty());

  bj::object body = shape->final_body({10, 3});
  const auto& msg = body.at("choices").at(0).at("message").as_object();
  EXPECT_EQ(msg.at("content").as_string(), "Checking.");
  EXPECT_EQ(msg.at("tool_calls").at(0).at("function").at("name").as_string(), "get_weather");
  EXPECT_EQ(body.at("choices").at(0).at("finish_reason").as_string(), "tool_calls");
  EXPECT_EQ(body.at("usage").at("total_tokens").as_int64(), 13);
}

TEST(ResponseShape, TextWithoutCallsStaysContent) {
  auto shape = make_chat_shape("m", tokenizer(), 2, chat::ToolCallFormat::kHermes);
  shape->on_event(text_event(1, "Just words.", true));
  shape->on_event(text_event(0, "<tool_call>{broken", true));
  bj::object body = shape->final_body({1, 2});
  EXPECT_EQ(body.at("choices").at(0).at("message").at("content").as_string(), "<tool_call>{broken");
  EXPECT_FALSE(body.at("choices").at(0).at("message").as_object().contains("tool_calls"));
  EXPECT_EQ(body.at("choices").at(1).at("message").at("content").as_string(), "Just words.");
  EXPECT_EQ(body.at("choices").at(1).at("finish_reason").as_string(), "stop");
}

TEST(ResponseShape, StreamChunksAndUsageChunk) {
  auto shape = make_chat_shape("m", tokenizer(), 1, chat::ToolCallFormat::kNone);
  std::vector<bj::object> start = shape->stream_start();
  ASSERT_EQ(start.size(), 1u);
  EXPECT_EQ(start[0].at("choices").at(0).at("delta").at("role").as_string(), "assistant");
  std::vector<bj::object> a = shape->on_event(text_event(0, "Hel"));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].at("choices").at(0).at("delta").at("content").as_string(), "Hel");
  EXPECT_TRUE(a[0].at("choices").at(0).at("finish_reason").is_null());
  TokenEvent held = text_event(0, "");  // text held back (e.g. a possible stop string)
  EXPECT_TRUE(shape->on_event(held).empty());
  TokenEvent end = text_event(0, "lo", true);
  end.finish_reason = "length";
  std::vector<bj::object> b = shape->on_event(end);
  EXPECT_EQ(b[0].at("choices").at(0).at("finish_reason").as_string(), "length");
  bj::object usage = shape->usage_chunk({4, shape->completion_tokens()});
  EXPECT_TRUE(usage.at("choices").as_array().empty());
  EXPECT_EQ(usage.at("usage").at("completion_tokens").as_int64(), 3);
  EXPECT_EQ(usage.at("object").as_string(), "chat.completion.chunk");
  EXPECT_EQ(shape->final_body({4, 3}).at("choices").at(0).at("message").at("content").as_string(),
            "Hello");
}

}  // namespace
}  // namespace hydra::engine::test
