// Chat and text completions over HTTP against a tiny model: exact usage,
// streams equal plain answers, seeds, stop strings, max_tokens, n, JSON
// mode, concurrency, cancellation.
#include "engine/chat/chat.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "http/client.h"
#include "server_fixture.h"

namespace hydra::engine::test {
namespace {

namespace bj = boost::json;
using namespace std::chrono_literals;

bj::array one_user(const std::string& text) {
  return bj::array{bj::object{{"role", "system"}, {"content", "You are terse."}},
                   bj::object{{"role", "user"}, {"content", text}}};
}

bj::object chat_body(const std::string& text, int max_tokens) {
  return {{"model", "tiny-qwen2"},
          {"messages", one_user(text)},
          {"max_tokens", max_tokens},
          {"temperature", 0},
          {"ignore_eos", true}};
}

std::string content_of(const bj::object& resp, size_t i = 0) {
  const auto& msg = resp.at("choices").as_array().at(i).at("message").as_object();
  return msg.at("content").is_null() ? "" : std::string(msg.at("content").as_string());
}

// Concatenated deltas of a chat stream, per choice; checks [DONE] ends it.
std::vector<std::string> stream_texts(const Stream& s, size_t n, bj::object* usage = nullptr) {
  std::vector<std::string> out(n);
  EXPECT_FALSE(s.events.empty());
  if (s.events.empty()) return out;
  EXPECT_EQ(s.events.back(), "[DONE]");
  for (size_t i = 0; i + 1 < s.events.size(); ++i) {
    bj::object chunk = bj::parse(s.events[i]).as_object();
    if (usage && chunk.contains("usage") && chunk.at("usage").is_object())
      *usage = chunk.at("usage").as_object();
    for (const auto& c : chunk.at("choices").as_array()) {
      const auto idx = static_cast<size_t>(c.at("index").as_int64());
      const auto& delta =
          c.as_object().contains("delta") ? c.at("delta").as_object() : bj::object{};
      if (delta.contains("content")) out.at(idx) += std::string(delta.at("content").as_string());
      if (c.as_object().contains("text")) out.at(idx) += std::string(c.at("text").as_string());
    }
  }
  return out;
}

TEST(EngineChat, UsageCountsTheTemplatedPromptAndGeneratedTokens) {
  RunningServer& s = decoder_server();
  bj::object body = chat_body("Count to five.", 9);
  bj::object r = post_ok(s, "/v1/chat/completions", body);
  // The prompt as the template renders it, tokenized independently.
  const LoadedModel& m = s.service->model();
  chat::ChatInputs in;
  in.messages = one_user("Count to five.");
  in.bos_token = m.bos_text();
  in.eos_token = m.eos_text();
  const std::string prompt = chat::render_chat(*m.chat_template, in);
  EXPECT_NE(prompt.find("<|im_start|>user\nCount to five.<|im_end|>"), std::string::npos);
  const auto ids = m.tokenizer->encode(prompt, {.add_special = false, .parse_special = true});
  const auto& usage = r.at("usage").as_object();
  EXPECT_EQ(usage.at("prompt_tokens").as_int64(), static_cast<int64_t>(ids.size()));
  EXPECT_EQ(usage.at("completion_tokens").as_int64(), 9);
  EXPECT_EQ(usage.at("total_tokens").as_int64(), static_cast<int64_t>(ids.size()) + 9);
  EXPECT_EQ(r.at("object").as_string(), "chat.completion");
  EXPECT_EQ(r.at("model").as_string(), "tiny-qwen2");
  const auto& choice = r.at("choices").as_array().at(0).as_object();
  EXPECT_EQ(choice.at("finish_reason").as_string(), "length");
  EXPECT_EQ(choice.at("message").at("role").as_string(), "assistant");
  EXPECT_FALSE(content_of(r).empty());
  // /tokenize with the same messages counts the same prompt.
  bj::object tok = post_ok(s, "/tokenize", bj::object{{"messages", one_user("Count to five.")}});
  EXPECT_EQ(tok.at("count").as_int64(), static_cast<int64_t>(ids.size()));
}

TEST(EngineChat, StreamDeltasEqualThePlainAnswer) {
  RunningServer& s = decoder_server();
  bj::object body = chat_body("Tell me a story.", 16);
  body["seed"] = 3;
  const std::string plain = content_of(post_ok(s, "/v1/chat/completions", body));
  body["stream"] = true;
  body["stream_options"] = bj::object{{"include_usage", true}};
  Stream st = post_stream(s, "/v1/chat/completions", body);
  EXPECT_EQ(st.status, 200);
  bj::object usage;
  EXPECT_EQ(stream_texts(st, 1, &usage)[0], plain);
  EXPECT_EQ(usage.at("completion_tokens").as_int64(), 16);
  EXPECT_GT(usage.at("prompt_tokens").as_int64(), 5);
  // Chunks go out as they are produced: the client's reads see them
  // arrive apart. A client descheduled on a busy machine may find them all
  // at once, so a few more streams are tried; a server that buffered the
  // answer would fail every one.
  int most_reads = st.reads_with_events;
  for (int retry = 0; retry < 5 && most_reads <= 1; ++retry) {
    most_reads =
        std::max(most_reads, post_stream(s, "/v1/chat/completions", body).reads_with_events);
  }
  EXPECT_GT(most_reads, 1) << "chunks must be sent as they are produced";
  // The first chunk names the role; the last before usage carries the finish reason.
  bj::object first = bj::parse(st.events.front()).as_object();
  EXPECT_EQ(first.at("object").as_string(), "chat.completion.chunk");
  EXPECT_EQ(first.at("choices").at(0).at("delta").at("role").as_string(), "assistant");
  bj::object last = bj::parse(st.events.at(st.events.size() - 3)).as_object();
  EXPECT_EQ(last.at("choices").at(0).at("finish_reason").as_string(), "length");
}

TEST(EngineChat, SameSeedSameOutput) {
  RunningServer& s = decoder_server();
  bj::object body = chat_body("Pick random words.", 12);
  body["temperature"] = 1.2;
  body["top_p"] = 0.95;
  body["seed"] = 1234;
  const std::string a = content_of(post_ok(s, "/v1/chat/completions", body));
  const std::string b = content_of(post_ok(s, "/v1/chat/completions", body));
  EXPECT_EQ(a, b);
  std::set<std::string> distinct;
  for (int seed = 1; seed <= 4; ++seed) {
    body["seed"] = seed;
    distinct.insert(content_of(post_ok(s, "/v1/chat/completions", body)));
  }
  EXPECT_GT(distinct.size(), 1u) << "different seeds should sample differently";
}

TEST(EngineChat, StopStringCutsTheOutput) {
  RunningServer& s = decoder_server();
  bj::object body = chat_body("Say something long.", 24);
  const std::string full = content_of(post_ok(s, "/v1/chat/completions", body));
  ASSERT_GE(full.size(), 8u);
  // A stop string from the middle of the greedy answer (ASCII, so no cut
  // inside a character); the output ends right before its first occurrence.
  size_t k = full.size() / 2;
  while (k + 2 < full.size() && (static_cast<unsigned char>(full[k]) >= 0x80 ||
                                 static_cast<unsigned char>(full[k + 1]) >= 0x80))
    ++k;
  const std::string stop = full.substr(k, 2);
  body["stop"] = bj::array{stop.c_str()};
  bj::object r = post_ok(s, "/v1/chat/completions", body);
  EXPECT_EQ(content_of(r), full.substr(0, full.find(stop)));
  EXPECT_EQ(r.at("choices").at(0).at("finish_reason").as_string(), "stop");
  body["stream"] = true;
  EXPECT_EQ(stream_texts(post_stream(s, "/v1/chat/completions", body), 1)[0],
            full.substr(0, full.find(stop)));
}

TEST(EngineChat, NChoicesAndLogprobs) {
  RunningServer& s = decoder_server();
  bj::object body = chat_body("Two answers please.", 6);
  body["n"] = 2;
  body["temperature"] = 1.5;
  body["seed"] = 77;
  body["logprobs"] = true;
  body["top_logprobs"] = 3;
  bj::object r = post_ok(s, "/v1/chat/completions", body);
  const auto& choices = r.at("choices").as_array();
  ASSERT_EQ(choices.size(), 2u);
  EXPECT_EQ(choices[0].at("index").as_int64(), 0);
  EXPECT_EQ(choices[1].at("index").as_int64(), 1);
  EXPECT_NE(content_of(r, 0), content_of(r, 1));
  EXPECT_EQ(r.at("usage").at("completion_tokens").as_int64(), 12);
  const auto& lp = choices[0].at("logprobs").at("content").as_array();
  ASSERT_EQ(lp.size(), 6u);
  EXPECT_LE(lp[0].at("logprob").as_double(), 0.0);
  EXPECT_EQ(lp[0].at("top_logprobs").as_array().size(), 3u);
  // n streams: both choices end, each stream equals its plain counterpart.
  body.erase("logprobs");
  body.erase("top_logprobs");
  const bj::object plain = post_ok(s, "/v1/chat/completions", body);
  body["stream"] = true;
  auto texts = stream_texts(post_stream(s, "/v1/chat/completions", body), 2);
  EXPECT_EQ(texts[0], content_of(plain, 0));
  EXPECT_EQ(texts[1], content_of(plain, 1));
}

TEST(EngineChat, JsonModeOutputParses) {
  RunningServer& s = decoder_server();
  for (int seed = 1; seed <= 3; ++seed) {
    bj::object body = chat_body("Answer in JSON.", 40);
    body.erase("ignore_eos");
    body["temperature"] = 1.0;
    body["seed"] = seed;
    body["response_format"] = bj::object{{"type", "json_object"}};
    const std::string text = content_of(post_ok(s, "/v1/chat/completions", body));
    boost::system::error_code ec;
    bj::value v = bj::parse(text, ec);
    EXPECT_FALSE(ec) << text;
    EXPECT_TRUE(v.is_object()) << text;
  }
}

TEST(EngineChat, ConcurrentRequestsGetTheirOwnAnswers) {
  RunningServer& s = decoder_server();
  const std::vector<std::string> prompts = {"alpha", "bravo charlie", "delta echo foxtrot",
                                            "golf",  "hotel india",   "juliet"};
  std::vector<std::string> alone;
  for (const auto& p : prompts)
    alone.push_back(content_of(post_ok(s, "/v1/chat/completions", chat_body(p, 14))));
  std::vector<std::string> together(prompts.size());
  std::vector<std::thread> threads;
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < prompts.size(); ++i) {
    threads.emplace_back([&, i] {
      bj::object body = chat_body(prompts[i], 14);
      if (i % 2) {
        body["stream"] = true;
        together[i] = stream_texts(post_stream(s, "/v1/chat/completions", body), 1)[0];
      } else {
        together[i] = content_of(post_ok(s, "/v1/chat/completions", body));
      }
    });
  }
  for (auto& t : threads) t.join();
  const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - t0;
  std::printf("[ figures ] %zu concurrent requests x 14 tokens in %.0f ms; largest batch %lld\n",
              prompts.size(), took.count(),
              static_cast<long long>(s.service->runtime()->stats().max_batch_seen));
  for (size_t i = 0; i < prompts.size(); ++i) EXPECT_EQ(together[i], alone[i]) << prompts[i];
  EXPECT_GE(s.service->runtime()->stats().max_batch_seen, 2);
}

TEST(EngineChat, ClientThatGoesAwayFreesItsSlot) {
  RunningServer& s = decoder_server();
  namespace net = boost::asio;
  net::io_context io;
  net::ip::tcp::socket sock(io);
  sock.connect({net::ip::make_address("127.0.0.1"), s.server->port()});
  bj::object body = chat_body("Go on and on.", 900);
  body["stream"] = true;
  const std::string text = bj::serialize(body);
  const std::string req = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                          std::to_string(text.size()) + "\r\n\r\n" + text;
  net::write(sock, net::buffer(req));
  char buf[4096];
  size_t got = 0;
  while (got < 600) got += sock.read_some(net::buffer(buf));  // a few chunks arrived
  http::Client client;
  EXPECT_EQ(metric_value(client.get(s.base + "/metrics").body, "hydra_engine:num_requests_running"),
            1);
  sock.close();
  double running = 1;
  for (int i = 0; i < 500 && running != 0; ++i) {
    std::this_thread::sleep_for(10ms);
    running =
        metric_value(client.get(s.base + "/metrics").body, "hydra_engine:num_requests_running");
  }
  EXPECT_EQ(running, 0) << "the cancelled sequence must leave the batch";
  EXPECT_EQ(s.service->runtime()->stats().running_sequences, 0);
}

TEST(EngineCompletions, PromptTextAndTokenIdsAgree) {
  RunningServer& s = decoder_server();
  bj::object body{{"model", "tiny-qwen2"}, {"prompt", "The capital of France is"},
                  {"max_tokens", 7},       {"temperature", 0},
                  {"ignore_eos", true},    {"logprobs", 2}};
  bj::object a = post_ok(s, "/v1/completions", body);
  EXPECT_EQ(a.at("object").as_string(), "text_completion");
  bj::object tok = post_ok(s, "/tokenize", bj::object{{"prompt", "The capital of France is"}});
  EXPECT_EQ(a.at("usage").at("prompt_tokens").as_int64(), tok.at("count").as_int64());
  EXPECT_EQ(a.at("usage").at("completion_tokens").as_int64(), 7);
  const auto& lp = a.at("choices").at(0).at("logprobs").as_object();
  EXPECT_EQ(lp.at("tokens").as_array().size(), 7u);
  EXPECT_EQ(lp.at("top_logprobs").at(0).as_object().size(), 2u);
  body["prompt"] = tok.at("tokens");
  bj::object b = post_ok(s, "/v1/completions", body);
  EXPECT_EQ(a.at("choices").at(0).at("text"), b.at("choices").at(0).at("text"));
  body["stream"] = true;
  body.erase("logprobs");
  EXPECT_EQ(stream_texts(post_stream(s, "/v1/completions", body), 1)[0],
            std::string(a.at("choices").at(0).at("text").as_string()));
}

}  // namespace
}  // namespace hydra::engine::test

namespace hydra::engine::test {
namespace {

namespace bj = boost::json;
using namespace std::chrono_literals;

// Opens a stream that generates for a long time and reads its first bytes.
struct OpenStream {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket sock{io};

  OpenStream(RunningServer& s, bool wait_for_data) {
    namespace net = boost::asio;
    sock.connect({net::ip::make_address("127.0.0.1"), s.server->port()});
    bj::object body{{"messages", bj::array{bj::object{{"role", "user"}, {"content", "long"}}}},
                    {"max_tokens", 900},
                    {"ignore_eos", true},
                    {"stream", true}};
    const std::string text = bj::serialize(body);
    const std::string req = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                            std::to_string(text.size()) + "\r\n\r\n" + text;
    net::write(sock, net::buffer(req));
    if (wait_for_data) {
      char buf[512];
      sock.read_some(net::buffer(buf));
    }
  }
};

double gauge(RunningServer& s, const char* name) {
  http::Client c;
  return metric_value(c.get(s.base + "/metrics").body, name);
}

TEST(EngineQueue, FullQueueIs503AndClosedClientsLeaveIt) {
  RunningServer& s = one_slot_server();
  auto running = std::make_unique<OpenStream>(s, true);
  auto waiting = std::make_unique<OpenStream>(s, false);
  double w = 0;
  for (int i = 0; i < 300 && w != 1; ++i) {
    std::this_thread::sleep_for(5ms);
    w = gauge(s, "hydra_engine:num_requests_waiting");
  }
  EXPECT_EQ(w, 1);
  EXPECT_EQ(gauge(s, "hydra_engine:num_requests_running"), 1);
  int status = 0;
  bj::object body{{"messages", bj::array{bj::object{{"role", "user"}, {"content", "x"}}}},
                  {"max_tokens", 2},
                  {"ignore_eos", true}};
  bj::object err = post(s, "/v1/chat/completions", body, &status);
  EXPECT_EQ(status, 503);
  EXPECT_EQ(err.at("error").at("type").as_string(), "SERVER_BUSY");
  running.reset();
  waiting.reset();
  double r = 1;
  for (int i = 0; i < 500 && (r != 0 || w != 0); ++i) {
    std::this_thread::sleep_for(10ms);
    r = gauge(s, "hydra_engine:num_requests_running");
    w = gauge(s, "hydra_engine:num_requests_waiting");
  }
  EXPECT_EQ(r, 0);
  EXPECT_EQ(w, 0);
  // The slot serves again.
  bj::object again = post_ok(s, "/v1/chat/completions", body);
  EXPECT_EQ(again.at("usage").at("completion_tokens").as_int64(), 2);
}

}  // namespace
}  // namespace hydra::engine::test
