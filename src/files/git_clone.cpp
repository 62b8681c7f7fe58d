#include "files/git_clone.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "common/strings.h"
#include "files/file_download.h"
#include "files/listing.h"

extern char** environ;

namespace hydra::files {
namespace {

std::string last_lines(const std::string& path, size_t max_chars) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = trim(ss.str());
  if (text.size() > max_chars) text = "..." + text.substr(text.size() - max_chars);
  return utf8_sanitize(text);
}

}  // namespace

std::string find_git() {
  const char* path = std::getenv("PATH");
  for (const auto& dir : split(path ? path : "/usr/bin:/bin", ':')) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/git";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

void git_clone(const std::string& url, const std::string& revision, const std::string& dir,
               const std::function<bool()>& keep_going) {
  std::string git = find_git();
  if (git.empty()) throw SourceError("GIT source needs the git program, which is not installed");
  std::filesystem::create_directories(std::filesystem::path(dir).parent_path());
  std::string log = dir + ".git-log";
  std::vector<std::string> args = {git, "clone", "--depth", "1", "--quiet"};
  if (!revision.empty()) {
    args.push_back("--branch");
    args.push_back(revision);
  }
  args.push_back("--");
  args.push_back(url);
  args.push_back(dir);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  // Never wait for a password prompt nobody will answer.
  std::vector<std::string> env_store = {"GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=/bin/false"};
  std::vector<char*> envp;
  for (char** e = environ; *e; ++e) envp.push_back(*e);
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, git.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw SourceError("cannot run git: " + std::string(std::strerror(rc)));

  int status = 0;
  while (true) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    bool go = false;
    try {
      go = keep_going();
    } catch (...) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      throw;
    }
    if (!go) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      throw Cancelled();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::string output = last_lines(log, 600);
  std::filesystem::remove(log);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw SourceError("git clone failed: " + (output.empty() ? std::string("no output") : output));
  }
}

}  // namespace hydra::files
