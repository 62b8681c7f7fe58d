#pragma once
// The gateway's asynchronous client for upstream OpenAI-compatible servers.
// It runs on the executor of the coroutine that calls it (the client
// connection's network thread), keeps a keep-alive pool per upstream host with a cap
// on open connections, and enforces connect, first-byte and between-chunk
// time-outs. A response body can be read whole or piece by piece as it
// arrives (chunked transfer encoding is decoded here).
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "http/message.h"

namespace hydra::gateway {

namespace asio = boost::asio;

struct UpstreamOptions {
  int64_t connect_timeout_ms = 5000;       // resolve + TCP connect + TLS handshake
  int64_t first_byte_timeout_ms = 120000;  // request sent -> response head read
  int64_t chunk_timeout_ms = 120000;       // silence allowed between body pieces
  size_t max_connections_per_host = 512;
  size_t max_idle_per_host = 64;  // on each network thread
  int64_t max_response_bytes = 64 << 20;
  bool verify_tls = true;
  std::string ca_file;  // extra trust anchors (PEM)
};

enum class UpstreamFailure {
  kConnect,  // nothing reached the upstream: safe to try another endpoint
  kBusy,     // the per-host connection cap stayed full for the connect time-out
  kTimeout,  // first byte or next chunk did not arrive in time
  kIo,       // the connection broke after the request was sent
  // The upstream closed a fresh connection before any byte of an answer:
  // it died or is restarting. Retried on another endpoint like kConnect,
  // since the client has received nothing either.
  kNoAnswer,
};

class UpstreamError : public std::runtime_error {
 public:
  UpstreamError(UpstreamFailure kind, const std::string& what)
      : std::runtime_error(what), kind_(kind) {}
  UpstreamFailure kind() const { return kind_; }

 private:
  UpstreamFailure kind_;
};

struct UpstreamRequest {
  std::string method = "POST";
  std::string url;  // absolute http(s) URL
  http::Headers headers;
  std::string body;
};

class UpstreamPool;
struct UpstreamConn;

// One request/response on one pooled connection. Not thread-safe: use it
// from one coroutine. Destroying it returns the connection to the pool when
// the response was read completely and the upstream keeps the connection,
// and closes it otherwise (which is how an abandoned stream is aborted).
class UpstreamExchange {
 public:
  explicit UpstreamExchange(std::shared_ptr<UpstreamPool> pool);
  ~UpstreamExchange();
  UpstreamExchange(const UpstreamExchange&) = delete;
  UpstreamExchange& operator=(const UpstreamExchange&) = delete;

  // Connects (or reuses a pooled connection), sends the request and reads
  // the response head. Throws UpstreamError.
  asio::awaitable<void> start(UpstreamRequest req);
  int status() const { return status_; }
  const http::Headers& headers() const { return headers_; }
  const std::string* header(std::string_view lower_name) const;

  // The next piece of the body as it arrives; "" once the body is complete.
  asio::awaitable<std::string> read_some();
  // The same, waiting at most timeout_ms instead of the between-chunk time-out.
  asio::awaitable<std::string> read_some_within(int64_t timeout_ms);
  // The rest of the body.
  asio::awaitable<std::string> read_all();
  bool done() const { return done_; }
  // Once the body is complete: hands the connection back to the pool now
  // rather than at destruction, so the next request can reuse it at once.
  void release();
  // Closes the connection at once (client gone): the upstream sees the
  // request aborted.
  void abort();
  // Shuts down the sending side only: the upstream sees the client gone,
  // while what it already sent can still be read (for exact billing).
  void half_close();

  struct State;  // connection, parser and watchdog (upstream_client.cpp)

 private:
  // One try on one connection; true when a reused connection turned out
  // to be closed by the upstream before answering (safe to send again).
  asio::awaitable<bool> attempt(bool allow_reuse);
  void note_done();

  std::shared_ptr<UpstreamPool> pool_;
  std::unique_ptr<State> st_;
  int status_ = 0;
  http::Headers headers_;
  bool done_ = false;
};

// Shared by every request of a gateway; safe to use from any thread.
class UpstreamClient {
 public:
  explicit UpstreamClient(UpstreamOptions opts = {});
  ~UpstreamClient();
  std::unique_ptr<UpstreamExchange> exchange() const;
  const UpstreamOptions& options() const;
  // Closes and frees the pooled idle connections. Their sockets belong to
  // the HTTP server's io_context: call this before that is destroyed.
  void close_idle();
  // Open connections (busy + idle) to "scheme://host:port".
  size_t open_connections(const std::string& host_key) const;
  size_t idle_connections(const std::string& host_key) const;

 private:
  std::shared_ptr<UpstreamPool> pool_;
};

}  // namespace hydra::gateway
