#pragma once
// Child processes and loopback plumbing shared by the benchmarks.
#include <sys/types.h>

#include <string>
#include <vector>

namespace bench {

// Starts argv[0] with the environment of this process; stdout and stderr go
// to `log_path`.
pid_t spawn(const std::vector<std::string>& argv, const std::string& log_path);
// SIGTERM, then SIGKILL if it has not exited after `grace_ms`; reaps it.
void stop(pid_t pid, int grace_ms = 5000);
int free_port();
// Polls GET url until it answers 200; throws after `timeout_ms`.
void wait_http_ok(const std::string& url, int timeout_ms = 15000);
// Resident set size in KiB from /proc/<pid>/status; -1 when unknown.
long rss_kb(pid_t pid);
// CPU time (user + system) a process and its direct children have used, in seconds.
double cpu_seconds(pid_t pid);
// Raises this process's open-file limit to its hard limit (children inherit it).
long raise_fd_limit();
// The path of a program in the build tree next to this benchmark.
std::string build_program(const std::string& relative);

}  // namespace bench
