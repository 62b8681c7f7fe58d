#include "oracle.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace hydra::engine::test {

std::optional<std::vector<OracleResult>> run_oracle(const boost::json::array& jobs,
                                                    std::string& error) {
  const std::string python = "/usr/bin/python3";
  const std::string script =
      std::string(HYDRA_SOURCE_DIR) + "/tests/unit/engine_chat/render_oracle.py";
  if (access(python.c_str(), X_OK) != 0) {
    error = python + " is missing; the conformance oracle needs Debian's python3-jinja2";
    return std::nullopt;
  }
  char path[] = "/tmp/hydra-oracle-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) {
    error = "cannot create a temporary file";
    return std::nullopt;
  }
  std::string input = boost::json::serialize(jobs);
  bool written = write(fd, input.data(), input.size()) == static_cast<ssize_t>(input.size());
  close(fd);
  if (!written) {
    unlink(path);
    error = "cannot write the oracle input";
    return std::nullopt;
  }
  std::string cmd = python + " " + script + " --batch < " + path;
  FILE* pipe = popen(cmd.c_str(), "r");
  std::string output;
  if (pipe) {
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) output.append(buf, n);
    int status = pclose(pipe);
    if (status != 0) error = "oracle exited with status " + std::to_string(status);
  } else {
    error = "cannot start " + python;
  }
  unlink(path);
  if (!error.empty()) return std::nullopt;
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(output, ec);
  if (ec || !parsed.is_array()) {
    error = "oracle output is not a JSON list: " + output.substr(0, 500);
    return std::nullopt;
  }
  std::vector<OracleResult> results;
  for (const auto& r : parsed.as_array()) {
    const auto& o = r.as_object();
    results.push_back({o.at("ok").as_bool(), std::string(o.at("out").as_string())});
  }
  if (results.size() != jobs.size()) {
    error = "oracle returned " + std::to_string(results.size()) + " results for " +
            std::to_string(jobs.size()) + " jobs";
    return std::nullopt;
  }
  return results;
}

}  // namespace hydra::engine::test
