// Server features over HTTP against a tiny model: continuous usage in
// every chunk, non-streamed requests cancelled when their client leaves,
// json_schema response formats, forced tool calls streamed like OpenAI.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "http/client.h"
#include "server_fixture.h"

namespace hydra::engine::test {
namespace {

namespace bj = boost::json;
using namespace std::chrono_literals;

bj::object body_for(const std::string& text, int max_tokens) {
  return {{"model", "tiny-qwen2"},
          {"messages", bj::array{bj::object{{"role", "user"}, {"content", text}}}},
          {"max_tokens", max_tokens},
          {"temperature", 0},
          {"ignore_eos", true}};
}

std::vector<bj::object> chunks_of(const Stream& s) {
  std::vector<bj::object> out;
  EXPECT_EQ(s.status, 200);
  EXPECT_FALSE(s.events.empty());
  if (s.events.empty()) return out;
  EXPECT_EQ(s.events.back(), "[DONE]");
  for (size_t i = 0; i + 1 < s.events.size(); ++i)
    out.push_back(bj::parse(s.events[i]).as_object());
  return out;
}

double metric(RunningServer& s, const std::string& name) {
  http::Client client;
  return metric_value(client.get(s.base + "/metrics").body, name);
}

TEST(EngineStream, ContinuousUsageIsInEveryChunk) {
  RunningServer& s = decoder_server();
  bj::object body = body_for("Count for me.", 9);
  const bj::object plain = post_ok(s, "/v1/chat/completions", body);
  body["stream"] = true;
  body["stream_options"] = bj::object{{"include_usage", true}, {"continuous_usage_stats", true}};
  const std::vector<bj::object> chunks = chunks_of(post_stream(s, "/v1/chat/completions", body));
  ASSERT_GE(chunks.size(), 3u);
  const int64_t prompt = plain.at("usage").at("prompt_tokens").as_int64();
  int64_t last = -1;
  int content_chunks = 0;
  for (const bj::object& c : chunks) {
    ASSERT_TRUE(c.at("usage").is_object()) << bj::serialize(c);
    const auto& u = c.at("usage").as_object();
    EXPECT_EQ(u.at("prompt_tokens").as_int64(), prompt);
    const int64_t done = u.at("completion_tokens").as_int64();
    EXPECT_GE(done, last) << "usage is cumulative";
    EXPECT_EQ(u.at("total_tokens").as_int64(), prompt + done);
    last = done;
    if (!c.at("choices").as_array().empty() &&
        c.at("choices").at(0).at("delta").as_object().contains("content"))
      ++content_chunks;
  }
  EXPECT_EQ(chunks.front().at("usage").at("completion_tokens").as_int64(), 0) << "role chunk";
  EXPECT_EQ(last, 9);
  EXPECT_GE(content_chunks, 2);
  // Without the option, only the last chunk carries usage.
  body["stream_options"] = bj::object{{"include_usage", true}};
  const std::vector<bj::object> plain_chunks =
      chunks_of(post_stream(s, "/v1/chat/completions", body));
  for (size_t i = 0; i + 1 < plain_chunks.size(); ++i)
    EXPECT_TRUE(plain_chunks[i].at("usage").is_null());
  EXPECT_EQ(plain_chunks.back().at("usage").at("completion_tokens").as_int64(), 9);
}

TEST(EngineChat, NonStreamedRequestStopsWhenItsClientLeaves) {
  RunningServer& s = decoder_server();
  const double cancelled_before = metric(s, "hydra_engine:request_cancelled_total");
  const double generated_before = metric(s, "hydra_engine:generation_tokens_total");
  namespace net = boost::asio;
  net::io_context io;
  net::ip::tcp::socket sock(io);
  sock.connect({net::ip::make_address("127.0.0.1"), s.server->port()});
  const std::string text = bj::serialize(body_for("Write a very long story.", 900));
  const std::string req = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                          std::to_string(text.size()) + "\r\n\r\n" + text;
  net::write(sock, net::buffer(req));
  double running = 0;
  for (int i = 0; i < 300 && running != 1; ++i) {
    std::this_thread::sleep_for(5ms);
    running = metric(s, "hydra_engine:num_requests_running");
  }
  ASSERT_EQ(running, 1) << "the request is being decoded";
  const int64_t steps_at_close = s.service->runtime()->stats().steps;
  sock.close();
  for (int i = 0; i < 300 && running != 0; ++i) {
    std::this_thread::sleep_for(10ms);
    running = metric(s, "hydra_engine:num_requests_running");
  }
  EXPECT_EQ(running, 0) << "the sequence left the batch";
  const int64_t steps_after = s.service->runtime()->stats().steps;
  std::printf(
      "[ figures ] decode steps between the client closing and the sequence leaving: %lld\n",
      static_cast<long long>(steps_after - steps_at_close));
  EXPECT_LT(steps_after - steps_at_close, 300) << "far fewer than the 900 tokens asked for";
  EXPECT_EQ(metric(s, "hydra_engine:request_cancelled_total"), cancelled_before + 1);
  EXPECT_EQ(metric(s, "hydra_engine:generation_tokens_total"), generated_before)
      << "a cancelled request is not counted as finished";
}

TEST(EngineChat, JsonSchemaOutputValidates) {
  RunningServer& s = decoder_server();
  const bj::value schema = bj::parse(R"({"type":"object","properties":{
      "city":{"type":"string","enum":["Paris","Rome"]},"temp":{"type":"number"},
      "tags":{"type":"array","items":{"type":"string"}}},
      "required":["city","temp"],"additionalProperties":false})");
  for (int seed = 1; seed <= 4; ++seed) {
    bj::object body = body_for("Weather as JSON", 40);
    body.erase("ignore_eos");
    body["temperature"] = 1.0;
    body["seed"] = seed;
    body["response_format"] = bj::object{
        {"type", "json_schema"},
        {"json_schema", bj::object{{"name", "weather"}, {"strict", true}, {"schema", schema}}}};
    const bj::object r = post_ok(s, "/v1/chat/completions", body);
    const std::string text(r.at("choices").at(0).at("message").at("content").as_string());
    const bj::value v = bj::parse(text);
    const std::string city(v.at("city").as_string());
    EXPECT_TRUE(city == "Paris" || city == "Rome") << text;
    EXPECT_TRUE(v.at("temp").is_number()) << text;
    for (const auto& kv : v.as_object())
      EXPECT_TRUE(kv.key() == "city" || kv.key() == "temp" || kv.key() == "tags") << text;
  }
  int status = 0;
  bj::object body = body_for("x", 10);
  body["response_format"] = bj::object{
      {"type", "json_schema"},
      {"json_schema",
       bj::object{{"name", "x"}, {"schema", bj::object{{"type", "string"}, {"pattern", "a+"}}}}}};
  const bj::object err = post(s, "/v1/chat/completions", body, &status);
  EXPECT_EQ(status, 400);
  EXPECT_EQ(err.at("error").at("param").as_string(), "response_format.json_schema.schema");
  EXPECT_NE(std::string(err.at("error").at("message").as_string()).find("pattern"),
            std::string::npos);
}

bj::array weather_tools() {
  return bj::array{
      bj::object{{"type", "function"},
                 {"function", bj::object{{"name", "get_weather"},
                                         {"description", "Weather of a city"},
                                         {"parameters", bj::parse(R"({"type":"object","properties":{
                      "city":{"type":"string"},"unit":{"enum":["c","f"]}},
                      "required":["city","unit"]})")}}}}};
}

TEST(EngineChat, ForcedToolCallStreamsNameThenArguments) {
  RunningServer& s = decoder_server();
  bj::object body = body_for("Weather in Paris?", 60);
  body.erase("ignore_eos");
  body["tools"] = weather_tools();
  body["tool_choice"] =
      bj::object{{"type", "function"}, {"function", bj::object{{"name", "get_weather"}}}};
  const bj::object plain = post_ok(s, "/v1/chat/completions", body);
  const auto& choice = plain.at("choices").at(0).as_object();
  EXPECT_EQ(choice.at("finish_reason").as_string(), "tool_calls");
  const auto& call = choice.at("message").at("tool_calls").at(0).as_object();
  EXPECT_EQ(call.at("function").at("name").as_string(), "get_weather");
  const bj::value args = bj::parse(call.at("function").at("arguments").as_string());
  EXPECT_TRUE(args.at("city").is_string());
  const std::string unit(args.at("unit").as_string());
  EXPECT_TRUE(unit == "c" || unit == "f");

  body["stream"] = true;
  const std::vector<bj::object> chunks = chunks_of(post_stream(s, "/v1/chat/completions", body));
  int starts = 0, fragments = 0;
  std::string streamed_args, finish;
  for (const bj::object& c : chunks) {
    const auto& ch = c.at("choices").at(0).as_object();
    if (ch.at("finish_reason").is_string()) finish = ch.at("finish_reason").as_string();
    const auto& delta = ch.at("delta").as_object();
    EXPECT_FALSE(delta.contains("content") && !delta.at("content").as_string().empty())
        << "no markup as content: " << bj::serialize(c);
    if (!delta.contains("tool_calls")) continue;
    const auto& tc = delta.at("tool_calls").at(0).as_object();
    EXPECT_EQ(tc.at("index").as_int64(), 0);
    if (tc.contains("id")) {
      ++starts;
      EXPECT_EQ(fragments, 0) << "the name comes before the arguments";
      EXPECT_EQ(tc.at("function").at("name").as_string(), "get_weather");
      EXPECT_EQ(tc.at("type").as_string(), "function");
    }
    const std::string piece(tc.at("function").at("arguments").as_string());
    if (!piece.empty()) ++fragments;
    streamed_args += piece;
  }
  EXPECT_EQ(starts, 1);
  EXPECT_GE(fragments, 2) << "arguments arrive in several chunks";
  EXPECT_EQ(finish, "tool_calls");
  EXPECT_EQ(bj::parse(streamed_args), args) << "greedy: the same call streamed and not";

  int status = 0;
  body["tool_choice"] =
      bj::object{{"type", "function"}, {"function", bj::object{{"name", "nope"}}}};
  const bj::object err = post(s, "/v1/chat/completions", body, &status);
  EXPECT_EQ(status, 400);
  EXPECT_EQ(err.at("error").at("param").as_string(), "tool_choice");
}

}  // namespace
}  // namespace hydra::engine::test
