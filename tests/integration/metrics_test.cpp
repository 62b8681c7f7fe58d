// /metrics after real traffic is valid Prometheus text (promtool agrees) and
// counts what happened.
#include <gtest/gtest.h>

#include <sstream>

#include "api_helpers.h"
#include "hydra_process.h"

namespace hydra::itest {
namespace {

// The value of the first sample of `name` whose labels include all of `labels`.
double sample(const std::string& text, const std::string& name,
              const std::vector<std::string>& labels) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + "{", 0) != 0) continue;
    bool all = true;
    for (const auto& l : labels) all = all && line.find(l) != std::string::npos;
    if (all) return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return -1;
}

TEST(Metrics, PassPromtoolAndCountRequests) {
  HydraProcess hydra;
  hydra.start();
  Api api(hydra.url());
  std::string admin = api.login("admin", kAdminPassword);
  constexpr int kListCalls = 7;
  for (int i = 0; i < kListCalls; ++i) api.expect(200, "GET", "/api/v1/models", nullptr, admin);
  EXPECT_EQ(api.call("GET", "/api/v1/models/nope", "", admin).status, 404);
  EXPECT_EQ(api.call("POST", "/api/v1/workspaces", "{", admin).status, 400);
  EXPECT_EQ(api.call("GET", "/api/v1/models").status, 401);
  // Outside /api and /v1 an unknown GET is a console page (SPA fallback).
  EXPECT_EQ(api.call("GET", "/api/v1/no/such/thing").status, 404);

  auto r = api.call("GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  const std::string* type = r.header("content-type");
  ASSERT_NE(type, nullptr);
  EXPECT_EQ(type->rfind("text/plain", 0), 0u) << *type;

  std::string file = hydra.dir() + "/metrics.txt";
  write_file(file, r.body);
  RunResult check =
      run_command({"/bin/sh", "-c", "/usr/bin/promtool check metrics < '" + file + "'"}, {});
  EXPECT_EQ(check.exit_code, 0) << "promtool check metrics:\n"
                                << check.out << check.err << "\n"
                                << r.body;

  EXPECT_NE(r.body.find("# TYPE hydra_http_requests_total counter"), std::string::npos) << r.body;
  EXPECT_EQ(sample(r.body, "hydra_http_requests_total",
                   {"method=\"GET\"", "route=\"/api/v1/models\"", "status=\"200\""}),
            kListCalls)
      << r.body;
  EXPECT_EQ(sample(r.body, "hydra_http_requests_total",
                   {"method=\"GET\"", "route=\"/api/v1/models\"", "status=\"401\""}),
            1)
      << r.body;
  EXPECT_EQ(sample(r.body, "hydra_http_requests_total",
                   {"method=\"POST\"", "route=\"/api/v1/workspaces\"", "status=\"400\""}),
            1)
      << r.body;
  // Unmatched paths share one label value, so scanners cannot blow up the series count.
  EXPECT_EQ(r.body.find("/no/such/thing"), std::string::npos) << r.body;  // no label per path
  EXPECT_GE(
      sample(r.body, "hydra_http_request_duration_seconds_count", {"route=\"/api/v1/models\""}),
      kListCalls + 1)
      << r.body;
}

}  // namespace
}  // namespace hydra::itest
