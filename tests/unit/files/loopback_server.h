#pragma once
// A tiny HTTP/1.1 server on 127.0.0.1 for download tests, on raw sockets so
// a test can misbehave the way real servers and networks do: cut the
// connection in the middle of a body, ignore Range, redirect, lie about a
// size. One request per connection (answers carry Connection: close).
// Header-only: the integration tests use it too.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <atomic>
#include <cctype>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace hydra::testing {

struct LoopbackRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names lower-case
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

struct LoopbackReply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  size_t cut_after = std::string::npos;  // close after this many body bytes
  bool send_length = true;
  int pause_ms = 0;  // between 64 KiB pieces of the body: a slow link
};

// 200 with the whole of `data`, or 206 from the offset a `Range: bytes=N-`
// asks for; `cut_after` bytes of the body are sent before the connection is cut.
inline LoopbackReply range_reply(const LoopbackRequest& req, const std::string& data,
                                 size_t cut_after = std::string::npos) {
  LoopbackReply r;
  std::string range = req.header("range");
  size_t from = 0;
  if (range.rfind("bytes=", 0) == 0) from = std::stoull(range.substr(6));
  if (from > 0) {
    if (from >= data.size()) {
      r.status = 416;
      r.headers.push_back({"Content-Range", "bytes */" + std::to_string(data.size())});
      return r;
    }
    r.status = 206;
    r.headers.push_back({"Content-Range", "bytes " + std::to_string(from) + "-" +
                                              std::to_string(data.size() - 1) + "/" +
                                              std::to_string(data.size())});
  }
  r.body = data.substr(from);
  r.cut_after = cut_after;
  return r;
}

class LoopbackServer {
 public:
  using Handler = std::function<LoopbackReply(const LoopbackRequest&)>;

  explicit LoopbackServer(Handler handler) : handler_(std::move(handler)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 64) != 0) {
      throw std::runtime_error("loopback server: cannot listen");
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~LoopbackServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }

  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<LoopbackRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return log_;
  }

 private:
  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      serve(c);
      ::close(c);
    }
  }

  static std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char ch) { return std::tolower(ch); });
    return s;
  }

  void serve(int c) {
    std::string in;
    char buf[4096];
    while (in.find("\r\n\r\n") == std::string::npos) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) return;
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) return;
      in.append(buf, static_cast<size_t>(n));
    }
    LoopbackRequest req;
    size_t line_end = in.find("\r\n");
    std::string line = in.substr(0, line_end);
    size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
    req.method = line.substr(0, sp1);
    req.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    size_t pos = line_end + 2;
    while (true) {
      size_t e = in.find("\r\n", pos);
      if (e == pos || e == std::string::npos) break;
      std::string h = in.substr(pos, e - pos);
      size_t colon = h.find(':');
      std::string value = h.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      req.headers[lower(h.substr(0, colon))] = value;
      pos = e + 2;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      log_.push_back(req);
    }
    LoopbackReply r = handler_(req);
    std::string head = "HTTP/1.1 " + std::to_string(r.status) + " X\r\nConnection: close\r\n";
    for (const auto& [k, v] : r.headers) head += k + ": " + v + "\r\n";
    if (r.send_length) head += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
    head += "\r\n";
    std::string body = r.cut_after < r.body.size() ? r.body.substr(0, r.cut_after) : r.body;
    if (req.method == "HEAD") body.clear();
    if (r.pause_ms <= 0) {
      send_all(c, head + body);
      return;
    }
    send_all(c, head);
    for (size_t off = 0; off < body.size() && !stop_; off += 65536) {
      if (!send_all(c, body.substr(off, 65536))) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(r.pause_ms));
    }
  }

  static bool send_all(int c, const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(c, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  Handler handler_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<LoopbackRequest> log_;
};

}  // namespace hydra::testing
