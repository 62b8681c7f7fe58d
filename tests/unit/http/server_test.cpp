#include "http/server.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <thread>

#include "common/error.h"
#include "http/client.h"

namespace hydra::http {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

Router test_router() {
  Router r;
  r.add("POST", "/echo", [](Request& req) { return Response::text(200, req.body); });
  r.add("GET", "/hello/{name}", [](Request& req) {
    return Response::json(200,
                          boost::json::object{{"hello", req.param("name")}, {"q", req.query["q"]}});
  });
  r.add("GET", "/slow", [](Request&) {
    std::this_thread::sleep_for(400ms);
    return Response::text(200, "done");
  });
  r.add("GET", "/boom", [](Request&) -> Response { throw std::runtime_error("secret detail"); });
  r.add("GET", "/bad", [](Request&) -> Response { throw_param("field x is wrong", "x"); });
  r.add_async("GET", "/stream", [](Request&, ResponseWriter& w) -> net::awaitable<void> {
    Headers h;
    h.emplace_back(std::string("Content-Type"), std::string("text/event-stream"));
    co_await w.begin(200, std::move(h));
    for (int i = 0; i < 3; ++i) {
      co_await w.write("data: " + std::to_string(i) + "\n\n");
      net::steady_timer t(co_await net::this_coro::executor, 150ms);
      co_await t.async_wait(net::use_awaitable);
    }
    co_await w.end();
  });
  r.add_async("GET", "/async-blocking",
              [](Request& req, ResponseWriter& w) -> net::awaitable<void> {
                std::string who = req.param("x");
                int v = co_await run_blocking<int>(w.worker_executor(),
                                                   std::function<int()>([] { return 42; }));
                co_await w.send(Response::text(200, "value " + std::to_string(v)));
              });
  r.add_async("GET", "/async-error", [](Request&, ResponseWriter&) -> net::awaitable<void> {
    throw_param("async bad input", "q");
    co_return;
  });
  return r;
}

class ServerTest : public ::testing::Test {
 protected:
  void start(ServerOptions o = {}) {
    o.port = 0;
    o.access_log = false;
    o.io_threads = 2;
    o.worker_threads = 4;
    server_ = std::make_unique<Server>(o, test_router(), std::make_shared<Metrics>());
    server_->start();
    base_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }
  void TearDown() override {
    if (server_) server_->shutdown(1000);
  }

  // Sends raw bytes on a new connection and reads until the server closes or `wait` passes.
  std::string raw(const std::string& bytes, std::chrono::milliseconds wait = 2000ms) {
    net::io_context io;
    tcp::socket s(io);
    s.connect({net::ip::make_address("127.0.0.1"), server_->port()});
    net::write(s, net::buffer(bytes));
    return read_all(s, wait);
  }

  static std::string read_all(tcp::socket& s, std::chrono::milliseconds wait) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + wait;
    s.non_blocking(true);
    char buf[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      boost::system::error_code ec;
      size_t n = s.read_some(net::buffer(buf), ec);
      if (ec == net::error::would_block) {
        std::this_thread::sleep_for(5ms);
        continue;
      }
      if (ec) break;
      out.append(buf, n);
    }
    return out;
  }

  std::unique_ptr<Server> server_;
  std::string base_;
  Client client_;
};

boost::json::value body_json(const ClientResponse& r) {
  return boost::json::parse(r.body);
}

TEST_F(ServerTest, RoutesParamsQueryAndRequestIds) {
  start();
  auto r = client_.get(base_ + "/hello/world?q=a%20b", {{"X-Request-Id", "abc-123"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(body_json(r).at("hello").as_string(), "world");
  EXPECT_EQ(body_json(r).at("q").as_string(), "a b");
  ASSERT_NE(r.header("x-request-id"), nullptr);
  EXPECT_EQ(*r.header("x-request-id"), "abc-123");
  auto r2 = client_.get(base_ + "/hello/x");
  ASSERT_NE(r2.header("x-request-id"), nullptr);
  EXPECT_FALSE(r2.header("x-request-id")->empty());
}

TEST_F(ServerTest, ErrorsHaveTheOpenAiShape) {
  start();
  auto r = client_.get(base_ + "/nope");
  EXPECT_EQ(r.status, 404);
  auto err = body_json(r).at("error").as_object();
  EXPECT_EQ(err.at("type").as_string(), "NOT_FOUND");
  EXPECT_EQ(err.at("code").as_string(), "500009");
  EXPECT_TRUE(err.contains("message"));
  EXPECT_TRUE(err.contains("param"));

  r = client_.send({"DELETE", base_ + "/echo", {}, {}});
  EXPECT_EQ(r.status, 405);

  r = client_.get(base_ + "/bad");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body_json(r).at("error").at("param").as_string(), "x");
  EXPECT_EQ(body_json(r).at("error").at("type").as_string(), "PARAM_ERROR");

  r = client_.get(base_ + "/boom");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("secret detail"), std::string::npos) << "internal errors must not leak";
  EXPECT_EQ(body_json(r).at("error").at("code").as_string(), "500003");
}

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  std::string req =
      "GET /hello/a HTTP/1.1\r\nHost: x\r\n\r\nGET /hello/b HTTP/1.1\r\nHost: x\r\nConnection: "
      "close\r\n\r\n";
  std::string out = raw(req);
  EXPECT_NE(out.find("\"hello\":\"a\""), std::string::npos);
  EXPECT_NE(out.find("\"hello\":\"b\""), std::string::npos);
}

// Bodies larger than any one read, sent in pieces, chunked, or after the
// server's "100 Continue", arrive whole; a request pipelined behind a body
// is served next.
TEST_F(ServerTest, ReadsBodiesOfEveryFraming) {
  start();
  net::io_context io;
  tcp::socket s(io);
  s.connect({net::ip::make_address("127.0.0.1"), server_->port()});
  std::string big(300 * 1000, 'x');
  for (size_t i = 0; i < big.size(); i += 997) big[i] = static_cast<char>('a' + i % 26);
  big += "THE-END";
  std::string head =
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(big.size()) +
      "\r\n\r\n";
  net::write(s, net::buffer(head + big.substr(0, 1000)));
  for (size_t at = 1000; at < big.size(); at += 70000) {
    std::this_thread::sleep_for(10ms);
    net::write(s, net::buffer(big.substr(at, 70000)));
  }
  std::string out;
  while (out.find("THE-END") == std::string::npos) {
    char buf[65536];
    size_t n = s.read_some(net::buffer(buf));
    out.append(buf, n);
  }
  EXPECT_NE(out.find("200 OK"), std::string::npos);
  EXPECT_NE(out.find("\r\n\r\n" + big), std::string::npos) << "the body echoed whole";

  std::string chunked =
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4\r\nabcd\r\n3;ext=1\r\nefg\r\n0\r\nTrailer: t\r\n\r\n"
      "GET /hello/next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  std::string answers = raw(chunked);
  EXPECT_NE(answers.find("\r\n\r\nabcdefg"), std::string::npos) << answers;
  EXPECT_NE(answers.find("\"hello\":\"next\""), std::string::npos) << answers;

  tcp::socket c(io);
  c.connect({net::ip::make_address("127.0.0.1"), server_->port()});
  net::write(c, net::buffer(std::string("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                                        "Expect: 100-continue\r\nConnection: close\r\n\r\n")));
  char buf[256];
  size_t n = c.read_some(net::buffer(buf));
  EXPECT_EQ(std::string(buf, n), "HTTP/1.1 100 Continue\r\n\r\n");
  net::write(c, net::buffer(std::string("hello")));
  std::string rest = read_all(c, 2000ms);
  EXPECT_NE(rest.find("200 OK"), std::string::npos) << rest;
  EXPECT_NE(rest.find("\r\n\r\nhello"), std::string::npos) << rest;
}

TEST_F(ServerTest, RefusesAmbiguousFraming) {
  start();
  std::string out = raw(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
      "0\r\n\r\n");
  EXPECT_NE(out.find("400"), std::string::npos) << out;
  EXPECT_NE(out.find("malformed HTTP request: bad Transfer-Encoding"), std::string::npos) << out;
}

TEST_F(ServerTest, AsyncHandlersStreamChunksAsTheyAreWritten) {
  start();
  net::io_context io;
  tcp::socket s(io);
  s.connect({net::ip::make_address("127.0.0.1"), server_->port()});
  net::write(s, net::buffer(std::string("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")));
  auto t0 = std::chrono::steady_clock::now();
  std::string first = read_all(s, 100ms);
  EXPECT_NE(first.find("Transfer-Encoding: chunked"), std::string::npos) << first;
  EXPECT_NE(first.find("data: 0"), std::string::npos)
      << "first event must arrive before the handler finishes";
  EXPECT_EQ(first.find("data: 2"), std::string::npos);
  std::string rest = read_all(s, 800ms);
  EXPECT_NE(rest.find("data: 2"), std::string::npos);
  EXPECT_NE(rest.find("0\r\n\r\n"), std::string::npos) << "last chunk";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2000ms);
  // The connection stays usable after a complete chunked answer.
  net::write(s, net::buffer(std::string("GET /async-blocking HTTP/1.1\r\nHost: x\r\n\r\n")));
  EXPECT_NE(read_all(s, 300ms).find("value 42"), std::string::npos);
}

TEST_F(ServerTest, AsyncHandlerErrorsBecomeErrorAnswers) {
  start();
  auto r = client_.get(base_ + "/async-error");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body_json(r).at("error").at("param").as_string(), "q");
  auto m = client_.get(base_ + "/metrics");
  EXPECT_NE(m.body.find("route=\"/async-error\",status=\"400\""), std::string::npos);
}

TEST_F(ServerTest, ClientPoolsConnections) {
  start();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(client_.get(base_ + "/hello/x").status, 200);
  EXPECT_EQ(client_.idle_connections(), 1u);
}

TEST_F(ServerTest, RejectsOversizedBodiesAndHeaders) {
  ServerOptions o;
  o.max_body_bytes = 1024;
  o.max_header_bytes = 2048;
  start(o);
  auto r = client_.post_json(base_ + "/echo", std::string(2000, 'a'));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(body_json(r).at("error").at("type").as_string(), "PAYLOAD_TOO_LARGE");
  EXPECT_EQ(client_.post_json(base_ + "/echo", std::string(1000, 'a')).status, 200);
  std::string out =
      raw("GET /hello/a HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'b') + "\r\n\r\n");
  EXPECT_NE(out.find("431"), std::string::npos) << out;
}

TEST_F(ServerTest, MalformedRequestGets400) {
  start();
  std::string out = raw("GARBAGE\r\n\r\n");
  EXPECT_NE(out.find("400"), std::string::npos) << out;
}

TEST_F(ServerTest, SlowClientIsTimedOutAndFreed) {
  ServerOptions o;
  o.read_timeout_ms = 300;
  start(o);
  auto t0 = std::chrono::steady_clock::now();
  std::string out = raw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc", 3000ms);
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(out.find("200 OK"), std::string::npos) << out;
  EXPECT_LT(took, 2500ms) << "server must close the connection, not wait for the client";
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosed) {
  ServerOptions o;
  o.idle_timeout_ms = 200;
  start(o);
  net::io_context io;
  tcp::socket s(io);
  s.connect({net::ip::make_address("127.0.0.1"), server_->port()});
  auto t0 = std::chrono::steady_clock::now();
  std::string out = read_all(s, 3000ms);
  EXPECT_TRUE(out.empty());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2000ms);
}

TEST_F(ServerTest, ConnectionLimitAnswers503) {
  ServerOptions o;
  o.max_connections = 2;
  start(o);
  net::io_context io;
  tcp::socket a(io), b(io);
  a.connect({net::ip::make_address("127.0.0.1"), server_->port()});
  b.connect({net::ip::make_address("127.0.0.1"), server_->port()});
  std::this_thread::sleep_for(100ms);
  std::string out = raw("GET /hello/a HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(out.find("503"), std::string::npos) << out;
  EXPECT_NE(out.find("SERVER_BUSY"), std::string::npos);
}

TEST_F(ServerTest, ShutdownDrainsInFlightRequests) {
  start();
  std::atomic<int> status{0};
  std::thread t([&] {
    Client c;
    status = c.get(base_ + "/slow").status;
  });
  // Shut down only once the request is being handled (the machine may be slow).
  for (int i = 0; i < 500 && server_->metrics().render().find("hydra_http_inflight_requests 1") ==
                                 std::string::npos;
       ++i) {
    std::this_thread::sleep_for(10ms);
  }
  auto t0 = std::chrono::steady_clock::now();
  server_->shutdown(5000);
  t.join();
  EXPECT_EQ(status.load(), 200) << "in-flight request must complete";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3000ms);
  Client c;
  EXPECT_THROW(c.get(base_ + "/hello/x"), std::runtime_error)
      << "no new connections after shutdown";
  server_.reset();
}

TEST_F(ServerTest, HealthAndMetrics) {
  start();
  EXPECT_EQ(client_.get(base_ + "/health").status, 200);
  client_.get(base_ + "/hello/x");
  auto m = client_.get(base_ + "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find(
                "hydra_http_requests_total{method=\"GET\",route=\"/hello/{name}\",status=\"200\"}"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("hydra_http_request_duration_seconds_bucket"), std::string::npos);
}

TEST(ParseListen, AcceptsHostPortForms) {
  std::string host;
  uint16_t port = 0;
  EXPECT_TRUE(parse_listen("127.0.0.1:8080", &host, &port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 8080);
  EXPECT_TRUE(parse_listen("[::1]:9", &host, &port));
  EXPECT_EQ(host, "::1");
  EXPECT_TRUE(parse_listen("localhost:1", &host, &port));
  EXPECT_FALSE(parse_listen("127.0.0.1", &host, &port));
  EXPECT_FALSE(parse_listen("x:99999", &host, &port));
  EXPECT_FALSE(parse_listen("bad host:80", &host, &port));
}

}  // namespace
}  // namespace hydra::http
