#pragma once
// Child processes of the local backend. Each replica runs in its own
// session and process group, so it outlives the `hydra serve` that started
// it (a restart adopts it) and a signal to the server's terminal does not
// reach it. A start token in its environment tells a surviving replica
// apart from an unrelated process that reused the pid.
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hydra::deploy {

struct LaunchSpec {
  std::vector<std::string> argv;           // argv[0] is the program (a path or a name on PATH)
  std::map<std::string, std::string> env;  // added to the server's environment
  std::string log_path;                    // stdout and stderr, appended
};

// The environment variable that carries a replica's start token.
inline constexpr const char* kStartTokenEnv = "HYDRA_REPLICA_TOKEN";

// Forks and execs; returns the pid. Throws std::runtime_error when the
// fork fails (an exec failure shows as an exit with code 127 and a line in
// the log).
pid_t spawn_process(const LaunchSpec& spec);

// Reaps the child if it has exited (our own children only); true when the
// pid is gone or a zombie.
bool process_exited(pid_t pid, int* exit_status = nullptr);
// True when `pid` runs and its environment holds `token` as the start token.
bool process_has_token(pid_t pid, const std::string& token);
// SIGTERM to the process group, then SIGKILL after `grace_ms`; waits at
// most grace_ms + 2 s in all.
void stop_process(pid_t pid, int64_t grace_ms);

// A loopback port nobody listens on right now.
int free_loopback_port();
// The running executable (for runtimes that are this binary).
std::string self_executable();

}  // namespace hydra::deploy
