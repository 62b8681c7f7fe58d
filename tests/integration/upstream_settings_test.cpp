// The upstream_* settings of `hydra serve` reach the gateway's upstream
// client: a short first-byte time-out answers for a hung upstream in its
// time instead of the default two minutes, and a cap of one connection per
// upstream host makes a second request wait for the first one's connection.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "api_helpers.h"
#include "fake_upstream_process.h"
#include "hydra_process.h"

namespace hydra::itest {
namespace {

using Clock = std::chrono::steady_clock;

const char* const kWhole =
    R"({"model":"public/up","max_tokens":4,"messages":[{"role":"user","content":"hi"}]})";
const char* const kStreamed =
    R"({"model":"public/up","stream":true,"messages":[{"role":"user","content":"hi"}]})";

// A MaaS model public/up on `upstream` and an API key for it, once the
// gateway routes the model.
std::string route_to(HydraProcess& hydra, const FakeUpstreamProcess& upstream) {
  Api api(hydra.url());
  std::string admin = api.login("admin", kAdminPassword);
  api.expect(201, "POST", "/api/v1/maas-models",
             bj::object{{"id", "up"},
                        {"enabled", true},
                        {"endpoints", bj::array{bj::object{{"base_url", upstream.base_url()},
                                                           {"model", "fake-model"}}}}},
             admin);
  std::string key =
      str_of(api.expect(201, "POST", "/api/v1/api-keys", bj::object{{"name", "up"}}, admin), "key");
  // The route table follows the store within a poll: until then the model is unknown.
  for (int i = 0; i < 100; ++i) {
    if (api.call("GET", "/v1/models", "", key).body.find("public/up") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return key;
}

TEST(UpstreamSettings, FirstByteTimeoutCutsAHungUpstreamShort) {
  FakeUpstreamProcess upstream({"--fail", "hang"});
  HydraProcess hydra({"--upstream-first-byte-timeout-ms", "400", "--gateway-probe-ms", "0"});
  hydra.start();
  std::string key = route_to(hydra, upstream);
  Api api(hydra.url());
  auto start = Clock::now();
  auto r = api.call("POST", "/v1/chat/completions", kWhole, key);
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_EQ(r.status, 504) << r.body;
  EXPECT_NE(r.body.find("500007"), std::string::npos) << r.body;
  EXPECT_GE(seconds, 0.35);
  EXPECT_LT(seconds, 5.0);  // the default would have waited 120 s
}

TEST(UpstreamSettings, ConnectionCapMakesASecondRequestWait) {
  // Each stream holds its connection for about a second (5 events, 200 ms apart).
  FakeUpstreamProcess upstream({"--interval-ms", "200", "--tokens", "5"});
  HydraProcess hydra({"--upstream-max-connections", "1", "--upstream-connect-timeout-ms", "300",
                      "--gateway-probe-ms", "0"});
  hydra.start();
  std::string key = route_to(hydra, upstream);
  Api api(hydra.url());
  ASSERT_EQ(api.call("POST", "/v1/chat/completions", kWhole, key).status, 200);

  StreamResult first;
  std::thread holder([&] {
    first = post_stream(hydra.port(), "/v1/chat/completions", key, "cap-1", kStreamed, 0, 15000);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // The one connection is the stream's for most of a second more; the
  // second request waits 300 ms for it, then gets the documented error.
  auto second = api.call("POST", "/v1/chat/completions", kWhole, key);
  holder.join();
  EXPECT_EQ(first.status, 200);
  EXPECT_TRUE(first.done);
  EXPECT_EQ(second.status, 503) << second.body;
  EXPECT_NE(second.body.find("500008"), std::string::npos) << second.body;
  // Once the stream is over its connection serves the next request.
  EXPECT_EQ(api.call("POST", "/v1/chat/completions", kWhole, key).status, 200);
}

}  // namespace
}  // namespace hydra::itest
