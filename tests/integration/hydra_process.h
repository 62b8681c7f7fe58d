#pragma once
// A real `hydra serve` process for integration tests: a fresh data directory,
// a free loopback port, stdout/stderr captured to files in the data
// directory's parent, and the ways a server can end (SIGTERM, kill -9).
#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace hydra::itest {

inline constexpr const char* kAdminPassword = "Integration-Admin-Pw-1";

// What a finished child process left behind.
struct RunResult {
  int exit_code = -1;  // -1: killed by a signal or never ran
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] is the program path) to completion with `env` added
// to a cleaned environment (no inherited HYDRA_* variables); gives up and
// kills it after timeout_ms.
RunResult run_command(const std::vector<std::string>& argv,
                      const std::map<std::string, std::string>& env, int64_t timeout_ms = 60000);

class HydraProcess {
 public:
  // `extra_args` are appended to `hydra serve` (e.g. {"--max-body-bytes", "4096"}).
  explicit HydraProcess(std::vector<std::string> extra_args = {});
  ~HydraProcess();  // kills a running server and removes the temporary directory
  HydraProcess(const HydraProcess&) = delete;
  HydraProcess& operator=(const HydraProcess&) = delete;

  // Starts (the first time on a free port; later on the same port and data
  // directory as before) and waits
  // until GET /health answers 200. Throws if the server does not come up.
  void start();
  // SIGTERM, then waits for the exit; returns the exit code (-1 if killed by
  // a signal or still running after timeout_ms, in which case it is killed).
  int stop(int64_t timeout_ms = 20000);
  // kill -9 and reap.
  void kill9();
  void send_signal(int sig);
  // Waits up to timeout_ms for the process to exit; the exit code, or -1.
  int wait_exit(int64_t timeout_ms);
  bool alive();

  pid_t pid() const { return pid_; }
  uint16_t port() const { return port_; }
  std::string url() const;                         // http://127.0.0.1:PORT
  const std::string& dir() const { return dir_; }  // temporary directory, owns data/
  std::string data_dir() const { return dir_ + "/data"; }
  std::string db_path() const { return data_dir() + "/hydra.db"; }
  std::string stdout_text() const;
  std::string stderr_text() const;

 private:
  std::vector<std::string> extra_args_;
  std::string dir_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  int exit_code_ = -1;
};

// A port nobody listens on right now (bound and released at once).
uint16_t free_port();
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& data);

}  // namespace hydra::itest
