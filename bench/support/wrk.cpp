#include "wrk.h"

#include <cstdio>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace bench {
namespace {

double to_ms(const std::string& v) {
  double x = std::stod(v);
  if (v.ends_with("us")) return x / 1000;
  if (v.ends_with("ms")) return x;
  if (v.ends_with("s")) return x * 1000;
  return x;
}

std::string quoted(const std::string& s) {
  return "'" + s + "'";
}

}  // namespace

WrkResult parse_wrk(const std::string& out) {
  WrkResult r;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string a, b;
    ls >> a >> b;
    if (a == "50%") r.p50 = to_ms(b);
    if (a == "90%") r.p90 = to_ms(b);
    if (a == "99%") r.p99 = to_ms(b);
    if (a == "Requests/sec:") r.rps = std::stod(b);
    if (b == "requests") r.requests = std::stol(a);
    if (line.find("Non-2xx or 3xx responses:") != std::string::npos) {
      r.errors += std::stol(line.substr(line.rfind(':') + 1));
    }
    if (a == "Socket" && b == "errors:") {
      for (const char* k : {"connect ", "read ", "write ", "timeout "}) {
        auto at = line.find(k);
        if (at != std::string::npos) r.errors += std::stol(line.substr(at + strlen(k)));
      }
    }
  }
  if (r.requests == 0) throw std::runtime_error("wrk gave no figures:\n" + out);
  return r;
}

WrkResult run_wrk(const WrkRun& run) {
  std::string cmd = "wrk --latency -t " + std::to_string(run.threads) + " -c " +
                    std::to_string(run.connections) + " -d " + std::to_string(run.seconds) + "s";
  for (const auto& h : run.headers) cmd += " -H " + quoted(h);
  if (!run.script.empty()) cmd += " -s " + quoted(run.script);
  cmd += " " + quoted(run.url) + " 2>&1";
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) throw std::runtime_error("cannot run wrk");
  std::string out;
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) out.append(chunk, n);
  if (pclose(f) != 0) throw std::runtime_error("wrk failed (is it installed?):\n" + out);
  return parse_wrk(out);
}

void print_result(const char* name, const WrkResult& r) {
  printf("%-40s %8ld req  %4ld err  %9.0f req/s  p50 %8.3f ms  p90 %8.3f ms  p99 %8.3f ms\n", name,
         r.requests, r.errors, r.rps, r.p50, r.p90, r.p99);
}

}  // namespace bench
