// Latency and throughput of the management API under many connections.
//
// Starts its own `hydra serve` (the binary next to this one's build tree) on
// a loopback port with a fresh data dir, fills the catalog with the ModelHub
// files, then holds N keep-alive connections (default 200) that each send
// requests back to back for a fixed time. Measures GET /api/v1/models as a
// logged-in user and, as the baseline in the same run, GET /health (the bare
// HTTP stack, no store and no auth). Prints p50/p90/p99/max and requests/s.
//
//   api_bench [--connections N] [--seconds S] [--hydra PATH] [--testdata DIR]
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "http/client.h"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace fs = std::filesystem;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

extern char** environ;

namespace {

struct Args {
  int connections = 200;
  double seconds = 10;
  std::string hydra;
  std::string testdata;
};

struct Result {
  std::vector<double> latencies_ms;
  int errors = 0;
  double seconds = 0;
};

int free_port() {
  net::io_context io;
  tcp::acceptor a(io, {net::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

pid_t start_hydra(const Args& args, const std::string& dir, int port) {
  std::string listen = "127.0.0.1:" + std::to_string(port);
  std::vector<std::string> argv_s = {args.hydra,    "serve", "--listen",     listen,
                                     "--data-dir",  dir,     "--access-log", "false",
                                     "--log-level", "warn"};
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  setenv("HYDRA_ADMIN_PASSWORD", "bench-admin-password", 1);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, (dir + "/serve.log").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = 0;
  if (posix_spawn(&pid, args.hydra.c_str(), &fa, nullptr, argv.data(), environ) != 0) {
    throw std::runtime_error("cannot start " + args.hydra);
  }
  return pid;
}

void wait_healthy(hydra::http::Client& c, const std::string& base) {
  for (int i = 0; i < 200; ++i) {
    try {
      if (c.get(base + "/health").status == 200) return;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("hydra did not become healthy");
}

std::string login(hydra::http::Client& c, const std::string& base) {
  auto r = c.post_json(base + "/api/v1/auth/login",
                       R"({"name":"admin","password":"bench-admin-password"})");
  if (r.status != 200) throw std::runtime_error("login failed: " + r.body);
  return std::string(boost::json::parse(r.body).at("token").as_string());
}

int fill_catalog(hydra::http::Client& c, const std::string& base, const std::string& token,
                 const std::string& dir) {
  int n = 0;
  if (dir.empty() || !fs::exists(dir)) return 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.path().filename() != "metadata.yaml") continue;
    std::ifstream in(e.path());
    std::stringstream ss;
    ss << in.rdbuf();
    auto r = c.send({"POST",
                     base + "/api/v1/models/import",
                     {{"Authorization", "Bearer " + token}, {"Content-Type", "application/yaml"}},
                     ss.str()});
    if (r.status / 100 == 2) ++n;
  }
  return n;
}

net::awaitable<void> worker(tcp::endpoint ep, std::string target, std::string token,
                            Clock::time_point until, Result& out) {
  beast::tcp_stream stream(co_await net::this_coro::executor);
  co_await stream.async_connect(ep, net::use_awaitable);
  beast::flat_buffer buf;
  bhttp::request<bhttp::empty_body> req{bhttp::verb::get, target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  if (!token.empty()) req.set(bhttp::field::authorization, "Bearer " + token);
  while (Clock::now() < until) {
    auto t0 = Clock::now();
    co_await bhttp::async_write(stream, req, net::use_awaitable);
    bhttp::response<bhttp::string_body> res;
    co_await bhttp::async_read(stream, buf, res, net::use_awaitable);
    out.latencies_ms.push_back(
        std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    if (res.result_int() != 200) out.errors++;
  }
}

Result load(int port, const std::string& target, const std::string& token, int conns,
            double seconds) {
  net::io_context io(1);
  Result r;
  tcp::endpoint ep(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
  auto start = Clock::now();
  auto until =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (int i = 0; i < conns; ++i) {
    net::co_spawn(io, worker(ep, target, token, until, r), [&r](std::exception_ptr e) {
      if (e) r.errors++;
    });
  }
  io.run();
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return r;
}

double pct(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
  return v[i];
}

void report(const char* name, Result& r) {
  double p50 = pct(r.latencies_ms, 50), p90 = pct(r.latencies_ms, 90),
         p99 = pct(r.latencies_ms, 99);
  double mx =
      r.latencies_ms.empty() ? 0 : *std::max_element(r.latencies_ms.begin(), r.latencies_ms.end());
  printf(
      "%-22s requests %8zu  errors %4d  %9.0f req/s  p50 %7.2f ms  p90 %7.2f ms  p99 %7.2f ms  max "
      "%7.2f ms\n",
      name, r.latencies_ms.size(), r.errors, static_cast<double>(r.latencies_ms.size()) / r.seconds,
      p50, p90, p99, mx);
}

Args parse_args(int argc, char** argv) {
  Args a;
  fs::path self = fs::canonical("/proc/self/exe");
  a.hydra = (self.parent_path().parent_path() / "bin" / "hydra").string();
  a.testdata = (fs::path(HYDRA_SOURCE_DIR) / ".." / "shared" / "testdata" / "modelhub").string();
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--connections")
      a.connections = std::stoi(v);
    else if (k == "--seconds")
      a.seconds = std::stod(v);
    else if (k == "--hydra")
      a.hydra = v;
    else if (k == "--testdata")
      a.testdata = v;
  }
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  Args args = parse_args(argc, argv);
  std::string dir = fs::temp_directory_path() / ("hydra-bench-" + std::to_string(getpid()));
  fs::create_directories(dir);
  int port = free_port();
  pid_t pid = start_hydra(args, dir, port);
  int rc = 0;
  try {
    hydra::http::Client c;
    std::string base = "http://127.0.0.1:" + std::to_string(port);
    wait_healthy(c, base);
    std::string token = login(c, base);
    int models = fill_catalog(c, base, token, args.testdata);
    auto first =
        c.get(base + "/api/v1/models?page_size=20", {{"Authorization", "Bearer " + token}});
    printf("hydra api_bench: %d connections, %.0f s per run, %d models in the catalog, %u cores\n",
           args.connections, args.seconds, models, std::thread::hardware_concurrency());
    printf("GET /api/v1/models answer: %d, %zu bytes\n", first.status, first.body.size());
    load(port, "/health", "", args.connections, 1);  // warm-up
    Result base_r = load(port, "/health", "", args.connections, args.seconds);
    Result models_r =
        load(port, "/api/v1/models?page_size=20", token, args.connections, args.seconds);
    report("GET /health (baseline)", base_r);
    report("GET /api/v1/models", models_r);
    double p99 = pct(models_r.latencies_ms, 99);
    printf("ratio models/health: throughput %.2f, p99 %.2f\n",
           (static_cast<double>(models_r.latencies_ms.size()) / models_r.seconds) /
               (static_cast<double>(base_r.latencies_ms.size()) / base_r.seconds),
           p99 / std::max(1e-9, pct(base_r.latencies_ms, 99)));
    printf("target p99 < 20 ms: %s\n", p99 < 20 ? "met" : "NOT met");
  } catch (const std::exception& e) {
    fprintf(stderr, "api_bench: %s (server log: %s/serve.log)\n", e.what(), dir.c_str());
    rc = 1;
  }
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  if (rc == 0) fs::remove_all(dir);
  return rc;
}
