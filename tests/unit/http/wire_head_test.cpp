#include "http/wire_head.h"

#include <gtest/gtest.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace hydra::http {
namespace {

namespace bhttp = boost::beast::http;

// Parses a whole message with Beast's parser, as a peer would.
template <bool IsRequest>
bhttp::message<IsRequest, bhttp::string_body> parse(const std::string& wire) {
  bhttp::parser<IsRequest, bhttp::string_body> p;
  p.eager(true);
  boost::beast::error_code ec;
  size_t used = p.put(boost::asio::buffer(wire), ec);
  EXPECT_FALSE(ec) << ec.message() << " in:\n" << wire;
  EXPECT_EQ(used, wire.size());
  EXPECT_TRUE(p.is_done());
  return p.release();
}

TEST(WireHead, AnswerParsesBackWithItsFieldsAndLength) {
  Headers h = {{"Content-Type", "application/json"}, {"x-ratelimit-limit-requests", "100"}};
  std::string body = R"({"ok":true})";
  auto res = parse<false>(response_head(11, 429, h, "req-1", true, body.size()) + body);
  EXPECT_EQ(res.result_int(), 429u);
  EXPECT_EQ(res.reason(), "Too Many Requests");
  EXPECT_EQ(res[bhttp::field::content_type], "application/json");
  EXPECT_EQ(res["x-ratelimit-limit-requests"], "100");
  EXPECT_EQ(res["X-Request-Id"], "req-1");
  EXPECT_TRUE(res.keep_alive());
  EXPECT_EQ(res.body(), body);
}

TEST(WireHead, KeepAliveFollowsTheVersion) {
  EXPECT_FALSE(parse<false>(response_head(11, 200, {}, "r", false, 0)).keep_alive());
  EXPECT_TRUE(parse<false>(response_head(11, 200, {}, "r", true, 0)).keep_alive());
  auto old_close = parse<false>(response_head(10, 200, {}, "r", false, 0));
  EXPECT_EQ(old_close.version(), 10u);
  EXPECT_FALSE(old_close.keep_alive());
  EXPECT_TRUE(parse<false>(response_head(10, 200, {}, "r", true, 0)).keep_alive());
}

TEST(WireHead, TheLastOfRepeatedNamesWinsAndFramingIsTheWriters) {
  Headers h = {{"Content-Type", "text/plain"},
               {"content-type", "application/json"},
               {"Content-Length", "999"},
               {"Connection", "close"},
               {"X-Request-Id", "spoofed"}};
  std::string head = response_head(11, 200, h, "real", true, 2);
  auto res = parse<false>(head + "{}");
  EXPECT_EQ(res[bhttp::field::content_type], "application/json");
  EXPECT_EQ(res.count(bhttp::field::content_type), 1u);
  EXPECT_EQ(res[bhttp::field::content_length], "2");
  EXPECT_EQ(res["X-Request-Id"], "real");
  EXPECT_TRUE(res.keep_alive());
  EXPECT_EQ(head.find("999"), std::string::npos);
  EXPECT_EQ(head.find("spoofed"), std::string::npos);
}

TEST(WireHead, NoValueCanStartAnotherField) {
  Headers h = {{"Content-Type", "text/plain\r\nSet-Cookie: stolen=1"}, {"x-a\r\nx-b", "v"}};
  auto res = parse<false>(response_head(11, 200, h, "r\r\nx-c: 1", true, 0));
  EXPECT_EQ(res.count(bhttp::field::set_cookie), 0u);
  EXPECT_EQ(res.count("x-b"), 0u);
  EXPECT_EQ(res.count("x-c"), 0u);
  EXPECT_EQ(res[bhttp::field::content_type], "text/plain  Set-Cookie: stolen=1");
}

TEST(WireHead, ChunkedAnswerCarriesItsChunks) {
  std::string head =
      response_head(11, 200, {{"content-type", "text/event-stream"}}, "r", true, std::nullopt);
  auto res = parse<false>(head + "5\r\nhello\r\n0\r\n\r\n");
  EXPECT_TRUE(res.chunked());
  EXPECT_EQ(res.body(), "hello");
  EXPECT_EQ(res[bhttp::field::content_type], "text/event-stream");
}

TEST(WireHead, RequestParsesBackWithHostLengthAndBody) {
  Headers h = {{"content-type", "application/json"},
               {"authorization", "Bearer sk-up"},
               {"host", "ignored.example"},
               {"x-request-id", "abc"}};
  std::string body = R"({"model":"m"})";
  auto req = parse<true>(
      request_head("POST", "/v1/chat/completions", "10.0.0.1:8000", h, body.size()) + body);
  EXPECT_EQ(req.method(), bhttp::verb::post);
  EXPECT_EQ(req.target(), "/v1/chat/completions");
  EXPECT_EQ(req[bhttp::field::host], "10.0.0.1:8000");
  EXPECT_EQ(req.count(bhttp::field::host), 1u);
  EXPECT_EQ(req[bhttp::field::authorization], "Bearer sk-up");
  EXPECT_EQ(req["x-request-id"], "abc");
  EXPECT_TRUE(req.keep_alive());
  EXPECT_EQ(req.body(), body);
}

}  // namespace
}  // namespace hydra::http
