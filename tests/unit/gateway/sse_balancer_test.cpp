#include <gtest/gtest.h>

#include "common/clock.h"
#include "gateway/balancer.h"
#include "gateway/sse.h"

namespace hydra::gateway {
namespace {

TEST(SseSplitter, ReassemblesEventsSplitAnywhere) {
  std::string stream =
      "data: {\"a\":1}\n\ndata: two\r\n\r\n: comment\ndata: x\ndata: y\n\ndata: [DONE]\n\n";
  // Every split point, including inside "\n\n" and "\r\n\r\n".
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    SseSplitter sp;
    std::vector<std::string> out;
    sp.feed(stream.substr(0, cut), out);
    sp.feed(stream.substr(cut), out);
    ASSERT_EQ(out.size(), 4u) << cut;
    EXPECT_EQ(out[0], "data: {\"a\":1}\n\n");
    EXPECT_EQ(sse_data(out[1]), "two");
    EXPECT_EQ(sse_data(out[2]), "x\ny");
    EXPECT_EQ(sse_data(out[3]), "[DONE]");
    EXPECT_TRUE(sp.pending().empty());
  }
  SseSplitter byte_by_byte;
  std::vector<std::string> out;
  for (char c : stream) byte_by_byte.feed(std::string_view(&c, 1), out);
  EXPECT_EQ(out.size(), 4u);
  byte_by_byte.feed("data: partial", out);
  EXPECT_EQ(out.size(), 4u);
  EXPECT_EQ(byte_by_byte.pending(), "data: partial");
}

Route route_of(const std::string& policy, std::vector<int64_t> weights) {
  Route r;
  r.name = "public/x";
  r.lb_policy = policy;
  r.cursor = std::make_shared<std::atomic<uint64_t>>(0);
  for (auto w : weights) {
    Endpoint e;
    e.weight = w;
    e.health = std::make_shared<EndpointHealth>();
    r.endpoints.push_back(std::move(e));
  }
  return r;
}

TEST(Balancer, RoundRobinSkipsTriedAndEjected) {
  Route r = route_of("round_robin", {0, 0, 0});
  std::vector<int> counts(3);
  for (int i = 0; i < 30; ++i) counts[pick_endpoint(r, {}, now_ms())]++;
  EXPECT_EQ(counts, (std::vector<int>{10, 10, 10}));
  EXPECT_EQ(pick_endpoint(r, {0, 1, 2}, now_ms()), -1);
  EjectionPolicy p{2, 60000};
  note_failure(*r.endpoints[1].health, p, now_ms());
  EXPECT_EQ(r.endpoints[1].health->ejected_until_ms.load(), 0);  // one failure is not enough
  note_failure(*r.endpoints[1].health, p, now_ms());
  for (int i = 0; i < 10; ++i) EXPECT_NE(pick_endpoint(r, {}, now_ms()), 1);
  EXPECT_EQ(pick_endpoint(r, {0, 2}, now_ms()), -1);
  // After the cool-down it is back.
  EXPECT_EQ(pick_endpoint(r, {0, 2}, now_ms() + 61000), 1);
  note_success(*r.endpoints[1].health);
  EXPECT_EQ(pick_endpoint(r, {0, 2}, now_ms()), 1);
}

TEST(Balancer, WeightedFollowsWeights) {
  Route r = route_of("weighted", {70, 30, 0});
  std::vector<int> counts(3);
  for (int i = 0; i < 10000; ++i) counts[pick_endpoint(r, {}, now_ms())]++;
  EXPECT_NEAR(counts[0], 7000, 300);
  EXPECT_NEAR(counts[1], 3000, 300);
  EXPECT_EQ(counts[2], 0);
  EXPECT_EQ(pick_endpoint(r, {0, 1}, now_ms()), 2);  // weight 0 still serves when alone
}

TEST(Balancer, LeastOutstandingPrefersIdleEndpoints) {
  Route r = route_of("least_outstanding", {0, 0, 0});
  OutstandingGuard g0(*r.endpoints[0].health), g1(*r.endpoints[1].health),
      g1b(*r.endpoints[1].health);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(pick_endpoint(r, {}, now_ms()), 2);
  OutstandingGuard g2(*r.endpoints[2].health), g2b(*r.endpoints[2].health);
  EXPECT_EQ(pick_endpoint(r, {}, now_ms()), 0);
}

TEST(Balancer, RandomUsesEveryEndpoint) {
  Route r = route_of("random", {0, 0});
  std::vector<int> counts(2);
  for (int i = 0; i < 1000; ++i) counts[pick_endpoint(r, {}, now_ms())]++;
  EXPECT_GT(counts[0], 400);
  EXPECT_GT(counts[1], 400);
}

}  // namespace
}  // namespace hydra::gateway
