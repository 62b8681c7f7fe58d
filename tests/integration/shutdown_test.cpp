// SIGTERM drains: requests already in flight get their answers, new
// connections are refused, and the process exits 0.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <future>
#include <thread>

#include "api_helpers.h"
#include "hydra_process.h"
#include "raw_socket.h"

namespace hydra::itest {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kDrainModels = 1500;  // long enough in optimised builds too

// kDrainModels ModelHub documents in one import: slow enough to be caught in the act.
std::string big_import() {
  std::string base = read_file(std::string(HYDRA_TESTDATA_DIR) +
                               "/modelhub/alibaba/qwen2-0.5b-instruct/metadata.yaml");
  const std::string name_line = "name: qwen2-0.5b-instruct";
  size_t at = base.find(name_line);
  if (at == std::string::npos) throw std::runtime_error("test file changed");
  std::string out;
  for (int i = 0; i < kDrainModels; ++i) {
    std::string doc = base;
    doc.replace(at, name_line.size(), "name: drain-" + std::to_string(i));
    out += doc + "\n---\n";
  }
  return out;
}

// hydra_http_inflight_requests from /metrics (the /metrics request counts itself).
double inflight(Api& api) {
  std::string body = api.call("GET", "/metrics").body;
  size_t at = body.find("\nhydra_http_inflight_requests ");
  return at == std::string::npos ? -1 : std::stod(body.substr(at + 30));
}

bool accepts_connections(uint16_t port) {
  try {
    RawSocket s(port);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

TEST(Shutdown, SigtermFinishesTheRequestInFlight) {
  HydraProcess hydra({"--shutdown-grace-ms", "60000"});
  hydra.start();
  Api api(hydra.url());
  std::string admin = api.login("admin", kAdminPassword);
  std::string yaml = big_import();

  // The import runs on its own client; wait until the server is inside it.
  auto import = std::async(std::launch::async, [&] {
    http::ClientOptions slow;
    slow.request_timeout_ms = 120000;
    Api importer(hydra.url(), slow);
    return importer.call("POST", "/api/v1/models/import", yaml, admin,
                         {{"content-type", "application/yaml"}});
  });
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (inflight(api) < 2 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_GE(inflight(api), 2) << "the import never showed up in flight";
  // A keep-alive connection that sits idle, and one half-way through a request.
  RawSocket idle(hydra.port());
  RawSocket partial(hydra.port());
  std::string body = R"({"id":"late-provider"})";
  partial.send("POST /api/v1/providers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + admin +
               "\r\nContent-Type: application/json\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, 5));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));

  auto sigterm_at = Clock::now();
  hydra.send_signal(SIGTERM);
  EXPECT_EQ(import.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout)
      << "the import finished before SIGTERM; nothing was tested";

  // Draining: no new connections; the idle one is closed at once.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(accepts_connections(hydra.port()));
  bool idle_closed = false;
  idle.read_until_close(2000, &idle_closed);
  EXPECT_TRUE(idle_closed);

  // The half-sent request may finish and is answered.
  partial.send(body.substr(5));
  bool partial_closed = false;
  std::string answer = partial.read_until_close(30000, &partial_closed);
  EXPECT_EQ(status_of(answer), 201) << answer;

  http::ClientResponse r = import.get();
  EXPECT_GT(Clock::now(), sigterm_at);
  ASSERT_EQ(r.status, 200) << r.body;
  bj::value v = parse_json(r.body);
  EXPECT_EQ(v.at("created").to_number<int64_t>(), kDrainModels) << r.body;

  EXPECT_EQ(hydra.wait_exit(60000), 0) << hydra.stderr_text();
  EXPECT_NE((hydra.stdout_text() + hydra.stderr_text()).find("draining"), std::string::npos);

  // What was answered is really there after a restart.
  hydra.start();
  admin = api.login("admin", kAdminPassword);
  auto models = api.expect(200, "GET", "/api/v1/models?keyword=drain-&page_size=1", nullptr, admin);
  EXPECT_EQ(models.at("total").as_int64(), kDrainModels);
  api.expect(200, "GET", "/api/v1/providers/late-provider", nullptr, admin);
  EXPECT_EQ(hydra.stop(), 0);
}

}  // namespace
}  // namespace hydra::itest
