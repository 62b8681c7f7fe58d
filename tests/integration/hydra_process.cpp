#include "hydra_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "http/client.h"

extern char** environ;

namespace hydra::itest {
namespace {

using Clock = std::chrono::steady_clock;

// The parent's environment without HYDRA_* settings (a developer's own
// HYDRA_CONFIG must not leak into a test server), plus `extra`.
std::vector<std::string> child_environment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    if (std::strncmp(*e, "HYDRA_", 6) != 0) env.emplace_back(*e);
  }
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Starts argv with stdout/stderr going to the given files (appended).
pid_t spawn(std::vector<std::string> argv, std::vector<std::string> env,
            const std::string& out_path, const std::string& err_path) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  auto args = c_strings(argv);
  auto envp = c_strings(env);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  return pid;
}

// Reaps `pid` if it has exited within timeout_ms; the exit code or -1 (signal).
bool reap(pid_t pid, int64_t timeout_ms, int* exit_code) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      return true;
    }
    if (r < 0) {
      *exit_code = -1;
      return true;
    }
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string make_temp_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "hydra-itest-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

}  // namespace

uint16_t free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof(a);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (fd >= 0) close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  close(fd);
  return ntohs(a.sin_port);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  if (!out) throw std::runtime_error("cannot write " + path);
}

RunResult run_command(const std::vector<std::string>& argv,
                      const std::map<std::string, std::string>& env, int64_t timeout_ms) {
  std::string dir = make_temp_dir();
  RunResult r;
  pid_t pid = spawn(argv, child_environment(env), dir + "/out", dir + "/err");
  if (!reap(pid, timeout_ms, &r.exit_code)) {
    kill(pid, SIGKILL);
    reap(pid, 5000, &r.exit_code);
    r.exit_code = -1;
  }
  r.out = read_file(dir + "/out");
  r.err = read_file(dir + "/err");
  std::filesystem::remove_all(dir);
  return r;
}

HydraProcess::HydraProcess(std::vector<std::string> extra_args)
    : extra_args_(std::move(extra_args)), dir_(make_temp_dir()) {}

HydraProcess::~HydraProcess() {
  if (pid_ > 0) kill9();
  std::error_code ec;
  if (!getenv("HYDRA_ITEST_KEEP")) std::filesystem::remove_all(dir_, ec);
}

std::string HydraProcess::url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::string HydraProcess::stdout_text() const {
  return read_file(dir_ + "/stdout.log");
}
std::string HydraProcess::stderr_text() const {
  return read_file(dir_ + "/stderr.log");
}

void HydraProcess::start() {
  if (pid_ > 0) throw std::logic_error("hydra is already running");
  // A restart keeps the address, as an operator's restart would.
  if (port_ == 0) port_ = free_port();
  std::vector<std::string> argv = {HYDRA_BINARY, "serve",
                                   "--listen",   "127.0.0.1:" + std::to_string(port_),
                                   "--data-dir", data_dir()};
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  pid_ = spawn(argv, child_environment({{"HYDRA_ADMIN_PASSWORD", kAdminPassword}}),
               dir_ + "/stdout.log", dir_ + "/stderr.log");

  http::ClientOptions co;
  co.connect_timeout_ms = 500;
  co.request_timeout_ms = 2000;
  http::Client client(co);
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < deadline) {
    int code = 0;
    if (reap(pid_, 0, &code)) {
      pid_ = -1;
      throw std::runtime_error("hydra serve exited with " + std::to_string(code) +
                               " while starting:\n" + stderr_text());
    }
    try {
      if (client.get(url() + "/health").status == 200) return;
    } catch (const std::exception&) {
      // not listening yet
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  kill9();
  throw std::runtime_error("hydra serve did not answer /health within 30 s:\n" + stderr_text());
}

void HydraProcess::send_signal(int sig) {
  if (pid_ > 0) kill(pid_, sig);
}

int HydraProcess::wait_exit(int64_t timeout_ms) {
  if (pid_ <= 0) return exit_code_;
  if (!reap(pid_, timeout_ms, &exit_code_)) return -1;
  pid_ = -1;
  return exit_code_;
}

int HydraProcess::stop(int64_t timeout_ms) {
  if (pid_ <= 0) return exit_code_;
  kill(pid_, SIGTERM);
  if (!reap(pid_, timeout_ms, &exit_code_)) {
    kill9();
    return -1;
  }
  pid_ = -1;
  return exit_code_;
}

void HydraProcess::kill9() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  reap(pid_, 10000, &exit_code_);
  exit_code_ = -1;
  pid_ = -1;
}

bool HydraProcess::alive() {
  if (pid_ <= 0) return false;
  int code = 0;
  if (reap(pid_, 0, &code)) {
    exit_code_ = code;
    pid_ = -1;
    return false;
  }
  return true;
}

}  // namespace hydra::itest
