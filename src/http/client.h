#pragma once
// A blocking HTTP/1.1 client with a keep-alive connection pool per
// host:port, http and https (OpenSSL, peer verification on by default).
// Used by the CLI, agents, importers and tests; the gateway's streaming
// upstream client builds on the same pool.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "http/message.h"

namespace hydra::http {

struct ClientOptions {
  int64_t connect_timeout_ms = 5000;
  int64_t request_timeout_ms = 60000;
  size_t max_idle_per_host = 16;
  int64_t max_response_bytes = 256 << 20;
  bool verify_tls = true;
  std::string ca_file;  // extra trust anchors (PEM)
};

struct ClientRequest {
  std::string method = "GET";
  std::string url;  // http://host:port/path?query or https://...
  Headers headers;
  std::string body;
};

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;
  const std::string* header(std::string_view name) const;
};

class Client {
 public:
  explicit Client(ClientOptions opts = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Throws std::runtime_error on connection failure or time-out.
  ClientResponse send(const ClientRequest& req);
  ClientResponse get(const std::string& url, Headers headers = {});
  ClientResponse post_json(const std::string& url, const std::string& body, Headers headers = {});

  size_t idle_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hydra::http
