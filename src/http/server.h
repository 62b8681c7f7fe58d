#pragma once
// The HTTP/1.1 server (Boost.Beast, C++20 coroutines). Network I/O runs on a
// few io threads; handlers run on a worker pool so a slow handler (a database
// write, an import) never stalls other connections.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "http/metrics.h"
#include "http/router.h"

namespace hydra::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: pick a free port
  int64_t max_body_bytes = 8 << 20;
  int64_t max_header_bytes = 16 << 10;
  int64_t read_timeout_ms = 30000;
  int64_t idle_timeout_ms = 60000;
  int64_t max_connections = 10000;
  int io_threads = 0;  // 0: one per core
  // How long a network thread keeps polling for work before it sleeps (0:
  // sleep at once). See run_network_thread() in server.cpp.
  int64_t io_spin_us = 0;
  int worker_threads = 0;
  bool access_log = true;
  std::string tls_cert;  // PEM files; TLS when both are set
  std::string tls_key;
};

// Parses "HOST:PORT" (IPv6 as "[::1]:8080").
bool parse_listen(const std::string& text, std::string* host, uint16_t* port);

class Server {
 public:
  Server(ServerOptions opts, Router router, std::shared_ptr<Metrics> metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving on background threads; throws if it cannot bind.
  void start();
  uint16_t port() const;
  // Stops accepting, lets in-flight requests finish for up to grace_ms, then
  // closes what is left. Idle keep-alive connections close at once.
  void shutdown(int64_t grace_ms);
  // Blocks until shutdown completes.
  void wait();

  Metrics& metrics();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hydra::http
