// The other routes: models, tokenize/detokenize, apply-template with tools,
// embeddings of an encoder, OpenAI-shaped errors, metrics.
#include <gtest/gtest.h>

#include <cmath>

#include "http/client.h"
#include "server_fixture.h"

namespace hydra::engine::test {
namespace {

namespace bj = boost::json;

TEST(EngineApi, ModelsListsTheServedName) {
  RunningServer& s = decoder_server();
  http::Client c;
  auto r = c.get(s.base + "/v1/models");
  ASSERT_EQ(r.status, 200);
  bj::value v = bj::parse(r.body);
  EXPECT_EQ(v.at("object").as_string(), "list");
  EXPECT_EQ(v.at("data").at(0).at("id").as_string(), "tiny-qwen2");
  EXPECT_EQ(v.at("data").at(0).at("max_model_len").as_int64(), 1024);
}

TEST(EngineApi, TokenizeDetokenizeRoundTrip) {
  RunningServer& s = decoder_server();
  const std::string text = "Hello, wörld! 123 tokens\n  spaced";
  bj::object t = post_ok(s, "/tokenize", bj::object{{"prompt", text}, {"return_token_strs", true}});
  const auto& ids = t.at("tokens").as_array();
  EXPECT_EQ(t.at("count").as_int64(), static_cast<int64_t>(ids.size()));
  EXPECT_GT(ids.size(), 5u);
  EXPECT_EQ(t.at("token_strs").as_array().size(), ids.size());
  // The ids are the tokenizer's own.
  const auto expected = s.service->model().tokenizer->encode(text);
  ASSERT_EQ(ids.size(), expected.size());
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(ids[i].as_int64(), expected[i]);
  bj::object d = post_ok(s, "/detokenize", bj::object{{"tokens", ids}});
  EXPECT_EQ(d.at("prompt").as_string(), text);
}

TEST(EngineApi, ApplyTemplatePassesToolsToTheTemplate) {
  RunningServer& s = decoder_server();
  bj::object tool{{"type", "function"},
                  {"function", bj::object{{"name", "get_weather"},
                                          {"description", "Weather of a city"},
                                          {"parameters", bj::object{{"type", "object"}}}}}};
  bj::object body{{"messages", bj::array{bj::object{{"role", "user"}, {"content", "Weather?"}}}},
                  {"tools", bj::array{tool}}};
  bj::object r = post_ok(s, "/apply-template", body);
  const std::string prompt(r.at("prompt").as_string());
  EXPECT_NE(prompt.find("<tools>"), std::string::npos) << prompt;
  EXPECT_NE(prompt.find("get_weather"), std::string::npos);
  EXPECT_TRUE(prompt.ends_with("<|im_start|>assistant\n"));
  // A chat request with tools renders the same prompt (usage counts it).
  body["max_tokens"] = 3;
  body["temperature"] = 0;
  bj::object chat = post_ok(s, "/v1/chat/completions", body);
  const auto count = s.service->model()
                         .tokenizer->encode(prompt, {.add_special = false, .parse_special = true})
                         .size();
  EXPECT_EQ(chat.at("usage").at("prompt_tokens").as_int64(), static_cast<int64_t>(count));
}

TEST(EngineApi, EmbeddingsAreUnitVectors) {
  RunningServer& s = bert_server();
  bj::object body{{"model", "tiny-bert"},
                  {"input", bj::array{"first text", "a second, longer text", "first text"}}};
  bj::object r = post_ok(s, "/v1/embeddings", body);
  const auto& data = r.at("data").as_array();
  ASSERT_EQ(data.size(), 3u);
  std::vector<std::vector<double>> vecs;
  for (size_t i = 0; i < data.size(); ++i) {
    EXPECT_EQ(data[i].at("index").as_int64(), static_cast<int64_t>(i));
    std::vector<double> v;
    double norm = 0;
    for (const auto& x : data[i].at("embedding").as_array()) {
      v.push_back(x.to_number<double>());
      norm += v.back() * v.back();
    }
    EXPECT_EQ(v.size(), 32u);
    EXPECT_NEAR(std::sqrt(norm), 1.0, 1e-4);
    vecs.push_back(v);
  }
  EXPECT_EQ(vecs[0], vecs[2]);
  EXPECT_NE(vecs[0], vecs[1]);
  EXPECT_GT(r.at("usage").at("prompt_tokens").as_int64(), 6);
  // base64 holds the same floats.
  body["input"] = "first text";
  body["encoding_format"] = "base64";
  bj::object b = post_ok(s, "/v1/embeddings", body);
  EXPECT_EQ(b.at("data").at(0).at("embedding").as_string().size(), 172u);  // base64 of 32 floats
  // A decoder model does not serve embeddings; an encoder does not chat.
  int status = 0;
  post(decoder_server(), "/v1/embeddings", bj::object{{"input", "x"}}, &status);
  EXPECT_EQ(status, 400);
  post(s, "/v1/completions", bj::object{{"prompt", "x"}}, &status);
  EXPECT_EQ(status, 400);
}

struct BadCase {
  std::string path;
  std::string body;
  int status;
  std::string param;
};

TEST(EngineApi, BadInputIsAnOpenAiShapedError) {
  RunningServer& s = decoder_server();
  const std::string msgs = R"("messages":[{"role":"user","content":"hi"}])";
  const std::vector<BadCase> cases = {
      {"/v1/chat/completions", "{not json", 400, ""},
      {"/v1/chat/completions", "[]", 400, ""},
      {"/v1/chat/completions", R"({"messages":[]})", 400, "messages"},
      {"/v1/chat/completions", R"({"messages":"hi"})", 400, "messages"},
      {"/v1/chat/completions", R"({"messages":[{"content":"x"}]})", 400, "messages[0].role"},
      {"/v1/chat/completions", "{" + msgs + R"(,"temperature":"hot"})", 400, "temperature"},
      {"/v1/chat/completions", "{" + msgs + R"(,"temperature":-1})", 400, "temperature"},
      {"/v1/chat/completions", "{" + msgs + R"(,"n":0})", 400, "n"},
      {"/v1/chat/completions", "{" + msgs + R"(,"max_tokens":0})", 400, "max_tokens"},
      {"/v1/chat/completions", "{" + msgs + R"(,"max_tokens":5000})", 400, "max_tokens"},
      {"/v1/chat/completions", "{" + msgs + R"(,"top_p":1.5})", 400, "top_p"},
      {"/v1/chat/completions", "{" + msgs + R"(,"stop":[1]})", 400, "stop"},
      {"/v1/chat/completions", "{" + msgs + R"(,"stream":"yes"})", 400, "stream"},
      {"/v1/chat/completions", "{" + msgs + R"(,"response_format":{"type":"xml"}})", 400,
       "response_format.type"},
      {"/v1/chat/completions", "{" + msgs + R"(,"top_logprobs":3})", 400, "top_logprobs"},
      {"/v1/chat/completions", "{" + msgs + R"(,"model":"other"})", 404, "model"},
      {"/v1/completions", R"({"prompt":5})", 400, "prompt"},
      {"/v1/completions", R"({"prompt":[99999999]})", 400, "prompt"},
      {"/v1/completions", R"({"prompt":["a","b"]})", 400, "prompt"},
      {"/detokenize", R"({"tokens":"abc"})", 400, "tokens"},
      {"/detokenize", R"({"tokens":[-1]})", 400, "tokens"},
      {"/tokenize", R"({})", 400, "prompt"},
  };
  http::Client c;
  for (const auto& bc : cases) {
    auto r = c.post_json(s.base + bc.path, bc.body);
    EXPECT_EQ(r.status, bc.status) << bc.path << " " << bc.body << " -> " << r.body;
    boost::system::error_code ec;
    bj::value v = bj::parse(r.body, ec);
    ASSERT_FALSE(ec) << r.body;
    const auto& err = v.at("error").as_object();
    EXPECT_FALSE(err.at("message").as_string().empty());
    EXPECT_TRUE(err.at("type").is_string());
    EXPECT_TRUE(err.contains("code"));
    if (!bc.param.empty()) {
      EXPECT_EQ(err.at("param").as_string(), bc.param) << bc.body;
    }
  }
  // Unknown fields are ignored: OpenAI clients send many.
  auto ok = c.post_json(
      s.base + "/v1/chat/completions",
      "{" + msgs + R"(,"max_tokens":2,"user":"u1","metadata":{"a":1},"parallel_tool_calls":true})");
  EXPECT_EQ(ok.status, 200) << ok.body;
}

TEST(EngineApi, MetricsHaveTheEngineSeries) {
  RunningServer& s = decoder_server();
  bj::object body{{"messages", bj::array{bj::object{{"role", "user"}, {"content", "metrics"}}}},
                  {"max_tokens", 4},
                  {"ignore_eos", true}};
  http::Client c;
  const std::string before = c.get(s.base + "/metrics").body;
  post_ok(s, "/v1/chat/completions", body);
  const std::string after = c.get(s.base + "/metrics").body;
  for (const char* name :
       {"hydra_engine:num_requests_running", "hydra_engine:num_requests_waiting",
        "hydra_engine:prompt_tokens_total", "hydra_engine:generation_tokens_total",
        "hydra_engine:time_to_first_token_seconds_count",
        "hydra_engine:time_to_first_token_seconds_bucket"}) {
    EXPECT_NE(after.find(name), std::string::npos) << name;
  }
  EXPECT_EQ(metric_value(after, "hydra_engine:generation_tokens_total") -
                metric_value(before, "hydra_engine:generation_tokens_total"),
            4);
  EXPECT_GT(metric_value(after, "hydra_engine:prompt_tokens_total"),
            metric_value(before, "hydra_engine:prompt_tokens_total"));
  EXPECT_EQ(
      metric_value(after, "hydra_engine:time_to_first_token_seconds_count") -
          std::max(0.0, metric_value(before, "hydra_engine:time_to_first_token_seconds_count")),
      1);
}

}  // namespace
}  // namespace hydra::engine::test
