#pragma once
// The fake_upstream program (tests/fake_upstream) as a child process on a
// free loopback port, and a bare client for streamed answers that can walk
// away in the middle, the way a user closing a browser tab does.
#include <sys/types.h>

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace hydra::itest {

class FakeUpstreamProcess {
 public:
  // `args` are fake_upstream flags (e.g. {"--interval-ms", "2"}).
  explicit FakeUpstreamProcess(std::vector<std::string> args = {});
  ~FakeUpstreamProcess();  // kills it
  FakeUpstreamProcess(const FakeUpstreamProcess&) = delete;
  FakeUpstreamProcess& operator=(const FakeUpstreamProcess&) = delete;

  uint16_t port() const { return port_; }
  std::string base_url() const;  // http://127.0.0.1:PORT/v1
  // GET /ledger: per request id, what it generated.
  boost::json::value ledger() const;
  // The ledger's entry for one request id (null when it has none).
  boost::json::value ledger_entry(const std::string& request_id) const;
  void kill9();

 private:
  std::string dir_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

struct StreamResult {
  int status = 0;
  int events = 0;            // `data:` events received
  bool done = false;         // `data: [DONE]` arrived
  bool error_event = false;  // a `data: {"error":...}` event arrived
  bool timed_out = false;
  std::string body;
};

// POSTs `body` to `path` on 127.0.0.1:port with the key and request id and
// reads the answer. With abort_after_events > 0 the connection is closed as
// soon as that many events arrived.
StreamResult post_stream(uint16_t port, const std::string& path, const std::string& key,
                         const std::string& request_id, const std::string& body,
                         int abort_after_events, int64_t timeout_ms);

}  // namespace hydra::itest
