#pragma once
// In-process stand-ins for OpenAI-compatible upstreams, on loopback:
// FakeUpstream is a real HTTP server (asynchronous handlers) that answers
// chat completions whole or streamed (each event split across two writes),
// reports usage, fails on demand and records what it received; CutUpstream
// starts a stream and then drops the connection.
#include <atomic>
#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "http/server.h"

namespace hydra::gateway::testing {

namespace net = boost::asio;
namespace bj = boost::json;

struct Received {
  std::string path;
  std::string authorization;
  bj::value body;
};

class FakeUpstream {
 public:
  // With `tls_cert` and `tls_key` (PEM files) it serves https.
  explicit FakeUpstream(std::string name, std::string tls_cert = {}, std::string tls_key = {})
      : name_(std::move(name)), tls_(!tls_cert.empty()) {
    http::Router r;
    r.add_async("POST", "/v1/chat/completions",
                [this](http::Request& req, http::ResponseWriter& w) { return chat(req, w); });
    r.add_async("POST", "/v1/embeddings",
                [this](http::Request& req, http::ResponseWriter& w) { return embeddings(req, w); });
    r.add("GET", "/v1/models", [this](http::Request&) {
      probes++;
      if (probe_status != 200) {
        return http::Response::json(probe_status, error_body(ErrorCode::kSystemError, "probe"));
      }
      return http::Response::json(
          200, bj::object{{"object", "list"},
                          {"data", bj::array{bj::object{{"id", name_}, {"object", "model"}}}}});
    });
    http::ServerOptions o;
    o.port = 0;
    o.access_log = false;
    o.io_threads = 1;
    o.worker_threads = 1;
    o.tls_cert = std::move(tls_cert);
    o.tls_key = std::move(tls_key);
    server_ = std::make_unique<http::Server>(o, std::move(r), std::make_shared<http::Metrics>());
    server_->start();
  }
  ~FakeUpstream() { server_->shutdown(200); }

  std::string base_url() const {
    return std::string(tls_ ? "https" : "http") +
           "://127.0.0.1:" + std::to_string(server_->port()) + "/v1";
  }
  std::vector<Received> received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }

  std::atomic<int> fail_status{0};  // answer with this status instead
  std::atomic<int> chunks{4};
  std::atomic<int> chunk_delay_ms{0};
  std::atomic<int> head_delay_ms{0};  // wait this long before answering
  std::atomic<int> hits{0};
  std::atomic<int> probe_status{200};  // what GET /v1/models answers
  std::atomic<int> probes{0};
  std::atomic<bool> write_failed{false};  // a write to the gateway failed (it went away)
  std::atomic<bool> finished{false};      // the last stream ran to its end
  int64_t prompt_tokens = 11;
  int64_t cached_tokens = 3;

 private:
  bj::object usage(int64_t completion) const {
    return bj::object{{"prompt_tokens", prompt_tokens},
                      {"completion_tokens", completion},
                      {"total_tokens", prompt_tokens + completion},
                      {"prompt_tokens_details", bj::object{{"cached_tokens", cached_tokens}}}};
  }

  void record(http::Request& req, const bj::value& body) {
    hits++;
    const std::string* auth = req.header("authorization");
    std::lock_guard<std::mutex> lock(mu_);
    received_.push_back({req.path, auth ? *auth : "", body});
  }

  net::awaitable<void> chat(http::Request& req, http::ResponseWriter& w) {
    bj::value body = bj::parse(req.body);
    record(req, body);
    if (head_delay_ms > 0) {
      net::steady_timer t(co_await net::this_coro::executor,
                          std::chrono::milliseconds(head_delay_ms.load()));
      co_await t.async_wait(net::use_awaitable);
    }
    if (fail_status) {
      http::Response fail = http::Response::json(
          fail_status, error_body(ErrorCode::kInvokeModelError, "fake failure"));
      co_await w.send(std::move(fail));
      co_return;
    }
    const bj::object& o = body.as_object();
    const bj::value* s = o.if_contains("stream");
    if (!s || !s->as_bool()) {
      bj::object answer{
          {"id", "chatcmpl-1"},
          {"object", "chat.completion"},
          {"model", o.at("model")},
          {"choices",
           bj::array{bj::object{{"index", 0},
                                {"message", bj::object{{"role", "assistant"}, {"content", name_}}},
                                {"finish_reason", "stop"}}}},
          {"usage", usage(chunks)}};
      http::Response resp = http::Response::json(200, answer);
      co_await w.send(std::move(resp));
      co_return;
    }
    bool include_usage = false;
    if (const bj::value* so = o.if_contains("stream_options"); so && so->is_object()) {
      const bj::value* inc = so->as_object().if_contains("include_usage");
      include_usage = inc && inc->as_bool();
    }
    co_await stream(w, std::string(o.at("model").as_string()), include_usage);
  }

  net::awaitable<void> stream(http::ResponseWriter& w, std::string model, bool include_usage) {
    finished = false;
    http::Headers h;
    h.emplace_back("content-type", "text/event-stream");
    co_await w.begin(200, std::move(h));
    int n = chunks;
    for (int i = 0; i < n; ++i) {
      bj::object chunk{
          {"id", "chatcmpl-1"},
          {"object", "chat.completion.chunk"},
          {"model", model},
          {"choices",
           bj::array{bj::object{{"index", 0},
                                {"delta", bj::object{{"content", name_ + std::to_string(i)}}}}}}};
      if (include_usage) chunk["usage"] = nullptr;
      std::string ev = "data: " + bj::serialize(chunk) + "\n\n";
      std::string first = ev.substr(0, ev.size() / 2), second = ev.substr(ev.size() / 2);
      bool ok = co_await w.write(first);
      if (ok) ok = co_await w.write(second);
      if (!ok) {
        write_failed = true;
        co_return;
      }
      if (chunk_delay_ms > 0) {
        net::steady_timer t(co_await net::this_coro::executor,
                            std::chrono::milliseconds(chunk_delay_ms.load()));
        co_await t.async_wait(net::use_awaitable);
      }
    }
    if (include_usage) {
      bj::object last{{"id", "chatcmpl-1"},
                      {"object", "chat.completion.chunk"},
                      {"model", model},
                      {"choices", bj::array{}},
                      {"usage", usage(n)}};
      std::string ev = "data: " + bj::serialize(last) + "\n\n";
      co_await w.write(ev);
    }
    std::string done = "data: [DONE]\n\n";
    co_await w.write(done);
    co_await w.end();
    finished = true;
  }

  net::awaitable<void> embeddings(http::Request& req, http::ResponseWriter& w) {
    bj::value body = bj::parse(req.body);
    record(req, body);
    bj::object answer{
        {"object", "list"},
        {"data", bj::array{bj::object{
                     {"object", "embedding"}, {"index", 0}, {"embedding", bj::array{0.5, -0.25}}}}},
        {"model", body.at("model")},
        {"usage", bj::object{{"prompt_tokens", 7}, {"total_tokens", 7}}}};
    http::Response resp = http::Response::json(200, answer);
    co_await w.send(std::move(resp));
  }

  std::string name_;
  bool tls_;
  std::mutex mu_;
  std::vector<Received> received_;
  std::unique_ptr<http::Server> server_;
};

// Accepts connections and, for each, answers with the head and one event
// of a stream, then closes the socket mid-body.
class CutUpstream {
 public:
  CutUpstream() : acceptor_(io_, {net::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this] { run(); });
  }
  ~CutUpstream() {
    stop_ = true;
    boost::system::error_code ec;
    net::ip::tcp::socket poke(io_);
    poke.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
  }
  std::string base_url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/v1";
  }
  std::atomic<int> hits{0};

 private:
  void run() {
    while (!stop_) {
      net::ip::tcp::socket s(io_);
      boost::system::error_code ec;
      acceptor_.accept(s, ec);
      if (ec || stop_) return;
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        size_t n = s.read_some(net::buffer(buf), ec);
        if (ec) break;
        req.append(buf, n);
      }
      if (ec) continue;
      // Read the whole body: closing with unread input would reset the
      // connection and could discard the event before the gateway reads it.
      size_t head_end = req.find("\r\n\r\n") + 4;
      size_t cl = req.find("Content-Length: ");
      if (cl == std::string::npos) cl = req.find("content-length: ");
      size_t want = cl == std::string::npos ? 0 : std::stoul(req.substr(cl + 16));
      while (req.size() - head_end < want) {
        size_t n = s.read_some(net::buffer(buf), ec);
        if (ec) break;
        req.append(buf, n);
      }
      hits++;
      std::string ev = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"cut\"}}]}\n\n";
      char size[16];
      snprintf(size, sizeof size, "%zx", ev.size());
      std::string out =
          "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: "
          "chunked\r\n\r\n" +
          std::string(size) + "\r\n" + ev + "\r\n";
      net::write(s, net::buffer(out), ec);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      s.close(ec);
    }
  }

  net::io_context io_;
  net::ip::tcp::acceptor acceptor_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace hydra::gateway::testing
