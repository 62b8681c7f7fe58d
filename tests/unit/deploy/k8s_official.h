#pragma once
// Runs k8s_official_check.py (Debian's /usr/bin/python3 and
// python3-kubernetes, whose model classes are generated from the official
// Kubernetes OpenAPI document) on a set of JSON objects: each is written
// to a file of a fresh temporary directory, and one interpreter start
// checks them all. Test support only.
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace hydra::deploy::testing {

struct OfficialCheck {
  int status = -1;     // the checker's exit status: 0 valid, 1 invalid, 3 no python3-kubernetes
  std::string output;  // what it printed (stdout and stderr), or why it could not run
};

// Each object is written as <file>.json (file names must be unique).
inline OfficialCheck official_check(
    const std::vector<std::pair<std::string, boost::json::value>>& objects) {
  namespace fs = std::filesystem;
  OfficialCheck r;
  const std::string python = "/usr/bin/python3";
  const std::string script =
      std::string(HYDRA_SOURCE_DIR) + "/tests/unit/deploy/k8s_official_check.py";
  if (access(python.c_str(), X_OK) != 0) {
    r.output = python + " is missing: the official-type check needs Debian's python3 and " +
               "python3-kubernetes (scripts/install-deps.sh installs them)";
    return r;
  }
  char tmpl[] = "/tmp/hydra-k8s-check-XXXXXX";
  if (!mkdtemp(tmpl)) {
    r.output = "cannot create a temporary directory";
    return r;
  }
  fs::path dir(tmpl);
  std::string cmd = python + " " + script;
  for (const auto& [file, body] : objects) {
    fs::path p = dir / (file + ".json");
    std::ofstream(p) << boost::json::serialize(body);
    cmd += " " + p.string();
  }
  cmd += " 2>&1";
  if (FILE* pipe = popen(cmd.c_str(), "r")) {
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) r.output.append(buf, n);
    int status = pclose(pipe);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  } else {
    r.output = "cannot start " + python;
  }
  // Paths in the output are shortened to the file names given.
  std::string prefix = dir.string() + "/";
  for (size_t at; (at = r.output.find(prefix)) != std::string::npos;)
    r.output.erase(at, prefix.size());
  std::error_code ec;
  fs::remove_all(dir, ec);
  return r;
}

}  // namespace hydra::deploy::testing
