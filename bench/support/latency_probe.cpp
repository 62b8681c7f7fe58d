#include "latency_probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <stdexcept>
#include <string_view>

namespace bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

void connect_loopback(Fd& s, int port) {
  s.fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (s.fd < 0) throw std::runtime_error("latency probe: socket failed");
  int one = 1;
  ::setsockopt(s.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    throw std::runtime_error("latency probe: cannot connect to port " + std::to_string(port));
}

void send_all(int fd, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) throw std::runtime_error("latency probe: the server closed the connection");
    sent += static_cast<size_t>(n);
  }
}

// The Content-Length of a response head (lower-cased copy searched).
size_t content_length(std::string_view head) {
  std::string lower(head);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  size_t at = lower.find("\r\ncontent-length:");
  if (at == std::string::npos) throw std::runtime_error("latency probe: answer without length");
  return std::stoul(lower.substr(at + 17));
}

// Reads one whole answer; returns its status. `buf` keeps bytes read past it.
int read_answer(int fd, std::string& buf) {
  char chunk[16384];
  size_t head_end;
  while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) throw std::runtime_error("latency probe: the server closed the connection");
    buf.append(chunk, static_cast<size_t>(n));
  }
  size_t total = head_end + 4 + content_length(std::string_view(buf).substr(0, head_end));
  while (buf.size() < total) {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) throw std::runtime_error("latency probe: the server closed the connection");
    buf.append(chunk, static_cast<size_t>(n));
  }
  int status = buf.size() > 12 ? std::atoi(buf.c_str() + 9) : 0;
  buf.erase(0, total);
  return status;
}

}  // namespace

LatencySamples measure_latency(const LatencyRun& run) {
  Fd s;
  connect_loopback(s, run.port);
  LatencySamples out;
  std::string buf;
  auto start = Clock::now();
  auto until = start + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(run.seconds));
  for (auto now = start; now < until;) {
    send_all(s.fd, run.request);
    int status = read_answer(s.fd, buf);
    auto done = Clock::now();
    out.us.push_back(std::chrono::duration<double, std::micro>(done - now).count());
    if (status != 200) ++out.errors;
    now = done;
  }
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return out;
}

std::vector<double> corrected_for_omission(const LatencySamples& s) {
  std::vector<double> all = s.us;
  if (s.us.empty()) return all;
  double interval = s.seconds * 1e6 / static_cast<double>(s.us.size());
  for (double v : s.us) {
    for (double n = v - interval; n >= interval; n -= interval) all.push_back(n);
  }
  return all;
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  auto at = v.begin() + static_cast<long>(q * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), at, v.end());
  return *at;
}

}  // namespace bench
