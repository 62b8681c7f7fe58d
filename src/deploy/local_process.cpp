#include "deploy/local_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/close_range.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace hydra::deploy {
namespace {

// Everything the child needs is prepared before fork: after it only
// async-signal-safe calls happen.
struct ExecPlan {
  std::vector<std::string> argv_store;
  std::vector<std::string> env_store;
  std::vector<char*> argv;
  std::vector<char*> envp;
};

ExecPlan plan_for(const LaunchSpec& spec) {
  ExecPlan p;
  p.argv_store = spec.argv;
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    size_t eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : spec.env) env[k] = v;
  for (const auto& [k, v] : env) p.env_store.push_back(k + "=" + v);
  for (auto& s : p.argv_store) p.argv.push_back(s.data());
  p.argv.push_back(nullptr);
  for (auto& s : p.env_store) p.envp.push_back(s.data());
  p.envp.push_back(nullptr);
  return p;
}

}  // namespace

pid_t spawn_process(const LaunchSpec& spec) {
  if (spec.argv.empty()) throw std::runtime_error("nothing to run");
  ExecPlan plan = plan_for(spec);
  int log_fd = open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    throw std::runtime_error("cannot open log " + spec.log_path + ": " + std::strerror(errno));
  }
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close(log_fd);
    if (null_fd >= 0) close(null_fd);
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(err));
  }
  if (pid == 0) {
    setsid();  // own session and process group: survives the server, signalled as a group
    // The server blocks SIGINT/SIGTERM for sigwait; the replica must not inherit that.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    if (null_fd >= 0) dup2(null_fd, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    // Nothing else of the server's may leak in: an inherited listening
    // socket would keep the server's port busy after it exits.
    if (close_range(3, ~0U, 0) != 0) {
      for (int fd = 3; fd < 65536; ++fd) close(fd);
    }
    execvpe(plan.argv[0], plan.argv.data(), plan.envp.data());
    const char msg[] = "exec failed\n";
    ssize_t ignored = write(2, msg, sizeof msg - 1);
    (void)ignored;
    _exit(127);
  }
  close(log_fd);
  if (null_fd >= 0) close(null_fd);
  return pid;
}

bool process_exited(pid_t pid, int* exit_status) {
  if (pid <= 0) return true;
  int status = 0;
  pid_t r = waitpid(pid, &status, WNOHANG);
  if (r == pid) {
    if (exit_status) *exit_status = status;
    return true;
  }
  if (r < 0 && errno == ECHILD) {
    // Not our child (adopted after a restart): alive while signal 0 reaches
    // it and it is not a zombie waiting for its new parent.
    if (kill(pid, 0) != 0 && errno == ESRCH) return true;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    size_t close_paren = text.rfind(')');
    if (close_paren != std::string::npos && close_paren + 2 < text.size()) {
      return text[close_paren + 2] == 'Z';
    }
    return text.empty();
  }
  return false;
}

bool process_has_token(pid_t pid, const std::string& token) {
  if (pid <= 0 || token.empty()) return false;
  std::ifstream f("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
  if (!f) return false;
  std::string env((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::string want = std::string(kStartTokenEnv) + "=" + token;
  size_t start = 0;
  while (start < env.size()) {
    size_t end = env.find('\0', start);
    if (end == std::string::npos) end = env.size();
    if (env.compare(start, end - start, want) == 0) return true;
    start = end + 1;
  }
  return false;
}

void stop_process(pid_t pid, int64_t grace_ms) {
  if (pid <= 0) return;
  // The replica leads its own group: signal the group so helpers go too.
  if (kill(-pid, SIGTERM) != 0) kill(pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (process_exited(pid)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (kill(-pid, SIGKILL) != 0) kill(pid, SIGKILL);
  auto hard = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (std::chrono::steady_clock::now() < hard) {
    if (process_exited(pid)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

int free_loopback_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    throw std::runtime_error("no free loopback port");
  }
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

std::string self_executable() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "hydra";
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace hydra::deploy
