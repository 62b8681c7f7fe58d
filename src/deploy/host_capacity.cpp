#include "deploy/host_capacity.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "common/strings.h"
#include "deploy/capacity.h"

namespace hydra::deploy {
namespace {

// The program's path on PATH, or "" (so a machine without it runs no shell).
std::string find_on_path(const std::string& program) {
  const char* path = getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string trim_copy(std::string s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  size_t e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

std::vector<Gpu> parse_nvidia_smi(const std::string& text) {
  std::vector<Gpu> out;
  std::stringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    size_t comma = line.rfind(',');
    if (comma == std::string::npos) continue;
    Gpu g;
    g.name = trim_copy(line.substr(0, comma));
    std::string mib = trim_copy(line.substr(comma + 1));
    char* end = nullptr;
    double v = std::strtod(mib.c_str(), &end);
    if (g.name.empty() || mib.empty() || end == mib.c_str() || *end != '\0' || v < 0) continue;
    g.memory_gb = v / 1024.0;
    out.push_back(std::move(g));
  }
  return out;
}

ClusterCapacity host_capacity() {
  ClusterCapacity c;
  Capacity m = machine_capacity();
  c.cpu = m.cpu;
  c.memory = m.memory;
  std::string smi = find_on_path("nvidia-smi");
  if (smi.empty()) return c;
  std::string cmd =
      smi + " --query-gpu=name,memory.total --format=csv,noheader,nounits 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return c;
  std::string text;
  char buf[512];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0 && text.size() < (1 << 16)) text.append(buf, n);
  if (pclose(p) == 0) c.gpus = parse_nvidia_smi(text);
  return c;
}

}  // namespace hydra::deploy
