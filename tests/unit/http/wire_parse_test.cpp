#include "http/wire_parse.h"

#include <gtest/gtest.h>

#include <string>

#include "http/request_parse.h"

namespace hydra::http {
namespace {

RequestHead request(const std::string& wire) {
  RequestHead head;
  std::string why;
  size_t n = head_size(wire);
  EXPECT_EQ(n, wire.size()) << wire;
  EXPECT_TRUE(parse_request_head(wire.substr(0, n), head, why)) << why << " in:\n" << wire;
  return head;
}

std::string request_error(const std::string& wire) {
  RequestHead head;
  std::string why;
  size_t n = head_size(wire);
  EXPECT_GT(n, 0u) << wire;
  EXPECT_FALSE(parse_request_head(wire.substr(0, n), head, why)) << wire;
  return why;
}

ResponseHead response(const std::string& wire) {
  ResponseHead head;
  std::string why;
  EXPECT_TRUE(parse_response_head(wire, head, why)) << why << " in:\n" << wire;
  return head;
}

bool response_refused(const std::string& wire) {
  ResponseHead head;
  std::string why;
  return !parse_response_head(wire, head, why);
}

TEST(WireParse, HeadSizeFindsTheBlankLineAcrossPieces) {
  std::string wire = "GET / HTTP/1.1\r\nHost: a\r\n\r\nNEXT";
  EXPECT_EQ(head_size(wire), wire.size() - 4);
  // Resuming after a piece that ended inside the blank line still finds it.
  std::string first = "GET / HTTP/1.1\r\nHost: a\r\n\r";
  EXPECT_EQ(head_size(first), 0u);
  EXPECT_EQ(head_size(wire, first.size()), wire.size() - 4);
}

TEST(WireParse, RequestLineFieldsAndFraming) {
  RequestHead h = request(
      "POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: gw\r\nContent-Type:  application/json \r\n"
      "Content-Length: 12\r\nX-Request-Id: abc\r\n\r\n");
  EXPECT_EQ(h.method, "POST");
  EXPECT_EQ(h.target, "/v1/chat/completions?x=1");
  EXPECT_EQ(h.version, 11u);
  EXPECT_TRUE(h.keep_alive);
  ASSERT_EQ(h.headers.size(), 4u);
  EXPECT_EQ(h.headers[1].first, "content-type");
  EXPECT_EQ(h.headers[1].second, "application/json");
  EXPECT_EQ(*find_header(h.headers, "x-request-id"), "abc");
  EXPECT_EQ(h.body.kind, BodyFraming::Kind::kLength);
  EXPECT_EQ(h.body.length, 12u);
}

TEST(WireParse, KeepAliveFollowsVersionAndConnection) {
  EXPECT_FALSE(request("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n").keep_alive);
  EXPECT_FALSE(request("GET / HTTP/1.0\r\n\r\n").keep_alive);
  EXPECT_TRUE(request("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive);
  EXPECT_FALSE(request("GET / HTTP/1.1\r\nConnection: upgrade, close\r\n\r\n").keep_alive);
}

TEST(WireParse, ChunkedRequestsAndExpectContinue) {
  RequestHead h = request(
      "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(h.body.kind, BodyFraming::Kind::kChunked);
  EXPECT_TRUE(h.expect_continue);
}

TEST(WireParse, RefusesRequestsTwoParsersCouldReadDifferently) {
  EXPECT_EQ(request_error("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"),
            "conflicting Content-Length fields");
  EXPECT_EQ(request_error("POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n"), "bad Content-Length");
  EXPECT_EQ(request_error("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"), "bad Content-Length");
  EXPECT_EQ(
      request_error("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"),
      "bad Transfer-Encoding");
  EXPECT_EQ(request_error("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
            "bad Transfer-Encoding");
  EXPECT_EQ(request_error("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), "bad header field");
  EXPECT_EQ(request_error("GET / HTTP/1.1\r\n folded\r\n\r\n"), "bad header field");
  EXPECT_EQ(request_error("GET / HTTP/1.1\r\nA: b\nC: d\r\n\r\n"), "bad header value");
  EXPECT_EQ(request_error("GET / HTTP/1.1\r\nA\nB: c\r\n\r\n"), "bad header field");
  EXPECT_EQ(request_error(std::string("GET / HTTP/1.1\r\nA: b\0c\r\n\r\n", 26)),
            "bad header value");
  EXPECT_EQ(request_error("GET / HTTP/2.0\r\n\r\n"), "bad version");
  EXPECT_EQ(request_error("GET  / HTTP/1.1\r\n\r\n"), "bad target");
  EXPECT_EQ(request_error("G(T / HTTP/1.1\r\n\r\n"), "bad method");
  EXPECT_EQ(request_error("GET /\r\n\r\n"), "bad request line");
}

TEST(WireParse, ResponseStatusAndBodyFraming) {
  ResponseHead h = response("HTTP/1.1 200 OK\r\nContent-Length: 7\r\nContent-Type: x\r\n\r\n");
  EXPECT_EQ(h.status, 200);
  EXPECT_TRUE(h.keep_alive);
  EXPECT_EQ(h.body.kind, BodyFraming::Kind::kLength);
  EXPECT_EQ(*find_header(h.headers, "content-type"), "x");
  EXPECT_EQ(response("HTTP/1.1 503\r\nContent-Length: 0\r\n\r\n").body.kind,
            BodyFraming::Kind::kNone);
  EXPECT_EQ(response("HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n").body.kind,
            BodyFraming::Kind::kNone);
  EXPECT_EQ(response("HTTP/1.1 100 Continue\r\n\r\n").body.kind, BodyFraming::Kind::kNone);
  EXPECT_EQ(response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").body.kind,
            BodyFraming::Kind::kChunked);
  // Without a length the body runs to the end of the connection.
  ResponseHead until_close = response("HTTP/1.1 200 OK\r\n\r\n");
  EXPECT_EQ(until_close.body.kind, BodyFraming::Kind::kUntilClose);
  EXPECT_FALSE(until_close.keep_alive);
  EXPECT_FALSE(response("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n").keep_alive);
}

TEST(WireParse, RefusesMalformedStatusLines) {
  EXPECT_TRUE(response_refused("HTTP/1.1 20 OK\r\n\r\n"));
  EXPECT_TRUE(response_refused("HTTP/1.1 2000 OK\r\n\r\n"));
  EXPECT_TRUE(response_refused("HTTP/1.1 099 OK\r\n\r\n"));
  EXPECT_TRUE(response_refused("HTTP/3 200 OK\r\n\r\n"));
  EXPECT_TRUE(response_refused("ICY 200 OK\r\n\r\n"));
  EXPECT_TRUE(response_refused(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"));
}

// Feeds `wire` to a decoder in pieces of `piece` bytes.
std::string decode(const std::string& wire, size_t piece, ChunkedDecoder& d, size_t* used) {
  std::string out;
  *used = 0;
  for (size_t at = 0; at < wire.size() && !d.done() && !d.failed(); at += piece) {
    std::string_view part = std::string_view(wire).substr(at, piece);
    size_t n = d.feed(part, out);
    *used += n;
    if (n < part.size()) break;
  }
  return out;
}

TEST(WireParse, ChunkedBodiesDecodeTheSameInPiecesOfAnySize) {
  std::string wire =
      "5;name=value\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nTrailer: x\r\n\r\nNEXT";
  for (size_t piece : {1, 2, 3, 7, 64, 1000}) {
    ChunkedDecoder d;
    size_t used = 0;
    EXPECT_EQ(decode(wire, piece, d, &used), "helloabcdefghijklmnopqrstuvwxyz") << piece;
    EXPECT_TRUE(d.done()) << piece;
    EXPECT_EQ(used, wire.size() - 4) << "the next message's bytes stay unread; piece " << piece;
  }
}

TEST(WireParse, MalformedChunkedBodiesFail) {
  for (std::string wire : {"x\r\n", "5\nhello\r\n", "5\r\nhelloXX", "\r\n", "1000000000000000\r\n",
                           "0\r\nbad\ntrailer\r\n\r\n"}) {
    ChunkedDecoder d;
    size_t used = 0;
    decode(wire, 1, d, &used);
    EXPECT_TRUE(d.failed()) << wire;
  }
  // Extensions cannot go on forever.
  ChunkedDecoder d;
  size_t used = 0;
  decode("1;" + std::string(70000, 'e'), 4096, d, &used);
  EXPECT_TRUE(d.failed());
}

TEST(WireParse, ParseRequestAppliesTheLimits) {
  std::string body = R"({"a":1})";
  auto ok = parse_request("POST /x HTTP/1.1\r\nContent-Length: 7\r\n\r\n" + body, 1024, 100);
  ASSERT_TRUE(ok.complete);
  EXPECT_EQ(ok.request.body, body);
  EXPECT_EQ(ok.request.path, "/x");
  auto chunked = parse_request(
      "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n",
      1024, 100);
  ASSERT_TRUE(chunked.complete);
  EXPECT_EQ(chunked.request.body, body);
  EXPECT_FALSE(parse_request("POST /x HTTP/1.1\r\nContent-Length: 7\r\n\r\n{", 1024, 100).complete);
  EXPECT_EQ(
      parse_request("POST /x HTTP/1.1\r\nContent-Length: 101\r\n\r\n", 1024, 100).error_status,
      413);
  EXPECT_EQ(
      parse_request("GET /" + std::string(2000, 'a') + " HTTP/1.1\r\n\r\n", 1024, 100).error_status,
      431);
  EXPECT_EQ(parse_request("GET / HTTP/1.1\r\nA\r\n\r\n", 1024, 100).error_status, 400);
}

}  // namespace
}  // namespace hydra::http
