#include "fake_upstream_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "api_helpers.h"
#include "common/random.h"
#include "hydra_process.h"

namespace hydra::itest {

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int count_of(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

FakeUpstreamProcess::FakeUpstreamProcess(std::vector<std::string> args) {
  dir_ = (std::filesystem::temp_directory_path() / ("hydra-fake-" + random_hex(8))).string();
  std::filesystem::create_directories(dir_);
  std::string port_file = dir_ + "/port";
  std::vector<std::string> argv = {FAKE_UPSTREAM_BINARY, "--port", "0", "--port-file", port_file};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_ = fork();
  if (pid_ == 0) {
    std::string log = dir_ + "/out.log";
    FILE* f = std::freopen(log.c_str(), "w", stdout);
    (void)f;
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  for (int i = 0; i < 500 && port_ == 0; ++i) {
    std::ifstream in(port_file);
    int p = 0;
    if (in >> p) port_ = static_cast<uint16_t>(p);
    if (!port_) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!port_) throw std::runtime_error("fake_upstream did not start");
}

FakeUpstreamProcess::~FakeUpstreamProcess() {
  kill9();
  std::filesystem::remove_all(dir_);
}

void FakeUpstreamProcess::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string FakeUpstreamProcess::base_url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/v1";
}

boost::json::value FakeUpstreamProcess::ledger() const {
  http::Client client;
  auto r = client.get("http://127.0.0.1:" + std::to_string(port_) + "/ledger");
  if (r.status != 200) throw std::runtime_error("ledger answered " + std::to_string(r.status));
  return parse_json(r.body);
}

boost::json::value FakeUpstreamProcess::ledger_entry(const std::string& request_id) const {
  http::Client client;
  auto r = client.get("http://127.0.0.1:" + std::to_string(port_) + "/ledger?id=" + request_id);
  if (r.status != 200) throw std::runtime_error("ledger answered " + std::to_string(r.status));
  boost::json::value doc = parse_json(r.body);
  const auto& requests = doc.as_object().at("requests").as_array();
  return requests.empty() ? boost::json::value() : requests.front();
}

StreamResult post_stream(uint16_t port, const std::string& path, const std::string& key,
                         const std::string& request_id, const std::string& body,
                         int abort_after_events, int64_t timeout_ms) {
  StreamResult out;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("connect failed");
  }
  std::string req = "POST " + path +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                    "Content-Type: application/json\r\nAuthorization: Bearer " +
                    key + "\r\nX-Request-Id: " + request_id +
                    "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  for (size_t sent = 0; sent < req.size();) {
    ssize_t n = ::send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  int64_t deadline = now_ms() + timeout_ms;
  char buf[8192];
  for (;;) {
    int64_t left = deadline - now_ms();
    if (left <= 0) {
      out.timed_out = true;
      break;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.body.append(buf, static_cast<size_t>(n));
    out.events = count_of(out.body, "data: ");
    if (abort_after_events > 0 && out.events >= abort_after_events) break;
  }
  ::close(fd);
  if (out.body.rfind("HTTP/1.1 ", 0) == 0) out.status = std::atoi(out.body.c_str() + 9);
  out.done = out.body.find("data: [DONE]") != std::string::npos;
  out.error_event = out.body.find("data: {\"error\"") != std::string::npos;
  return out;
}

}  // namespace hydra::itest
