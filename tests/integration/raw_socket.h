#pragma once
// A bare loopback TCP connection, for requests no well-behaved client would
// send: half-finished, malformed, or with bytes a client library refuses.
#include <cstdint>
#include <string>

namespace hydra::itest {

class RawSocket {
 public:
  explicit RawSocket(uint16_t port);  // connects to 127.0.0.1:port; throws on failure
  ~RawSocket();
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  // Sends all of `data`; false if the peer has closed the connection.
  bool send(const std::string& data);
  // Reads until the peer closes or timeout_ms passes; sets *closed when it closed.
  std::string read_until_close(int64_t timeout_ms, bool* closed);

 private:
  int fd_ = -1;
};

// The status code of an HTTP/1.1 response text, or 0 if there is none.
int status_of(const std::string& response);
// The body of an HTTP response text (after the blank line).
std::string body_of(const std::string& response);

}  // namespace hydra::itest
