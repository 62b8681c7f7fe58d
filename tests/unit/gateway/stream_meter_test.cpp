// The usage a stream is billed for, read from its events, and what the
// client sees of the usage the gateway asked for on its own.
#include "gateway/stream_meter.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace hydra::gateway {
namespace {

namespace bj = boost::json;

std::string ev(const std::string& json) {
  return "data: " + json + "\n\n";
}

std::string token(int n, bool usage) {
  std::string u =
      usage ? ",\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":" + std::to_string(n) +
                  ",\"total_tokens\":" + std::to_string(5 + n) + "}"
            : "";
  return ev("{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"t" +
            std::to_string(n) + "\"}}]" + u + "}");
}

TEST(StreamMeter, ContinuousUsageIsCapturedAndHiddenFromClientsThatDidNotAsk) {
  StreamMeter m(StreamAsk{});
  for (int i = 1; i <= 3; ++i) {
    std::string out = m.pass(token(i, true));
    EXPECT_EQ(out.find("usage"), std::string::npos) << out;
    EXPECT_NE(out.find("\"t" + std::to_string(i) + "\""), std::string::npos);
  }
  EXPECT_TRUE(m.saw_usage());
  EXPECT_EQ(m.prompt_tokens(), 5);
  EXPECT_EQ(m.completion_tokens(), 3);  // the last cumulative count, not a sum
  // The usage-only chunk the gateway asked for never reaches the client.
  EXPECT_EQ(m.pass(ev("{\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":3}}")),
            "");
}

TEST(StreamMeter, ClientThatAskedForFinalUsageSeesNullUsageOnContentEvents) {
  StreamMeter m(StreamAsk{true, false});
  std::string out = m.pass(token(1, true));
  bj::value v = bj::parse(out.substr(6));
  EXPECT_TRUE(v.at("usage").is_null());
  std::string last = ev("{\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1}}");
  EXPECT_EQ(m.pass(last), last);
}

TEST(StreamMeter, ClientThatAskedForContinuousUsageGetsEventsUnchanged) {
  StreamMeter m(StreamAsk{true, true});
  std::string e = token(2, true);
  EXPECT_EQ(m.pass(e), e);
  EXPECT_EQ(m.completion_tokens(), 2);
}

TEST(StreamMeter, WithoutUsageTextEventsAreCounted) {
  StreamMeter m(StreamAsk{});
  m.pass(ev("{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}"));
  for (int i = 0; i < 4; ++i) m.pass(token(i, false));
  m.pass(ev("{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}"));
  EXPECT_FALSE(m.saw_usage());
  EXPECT_EQ(m.text_events(), 4);
  EXPECT_EQ(m.completion_tokens(), 4);
  EXPECT_EQ(m.prompt_tokens(), 0);
}

TEST(StreamMeter, UsageRequestsFollowTheEndpoint) {
  bj::object body = bj::parse(R"({"model":"m","stream":true})").as_object();
  StreamAsk client = client_stream_ask(body);
  ask_stream_usage(body, client, true);
  EXPECT_EQ(body.at("stream_options").at("include_usage"), true);
  EXPECT_EQ(body.at("stream_options").at("continuous_usage_stats"), true);
  // Retried on an endpoint without the capability: the flag is withdrawn.
  ask_stream_usage(body, client, false);
  EXPECT_FALSE(body.at("stream_options").as_object().contains("continuous_usage_stats"));
  bj::object own =
      bj::parse(R"({"stream_options":{"include_usage":true,"continuous_usage_stats":true}})")
          .as_object();
  StreamAsk asked = client_stream_ask(own);
  EXPECT_TRUE(asked.include_usage);
  EXPECT_TRUE(asked.continuous);
  ask_stream_usage(own, asked, false);  // the client's own request is passed on
  EXPECT_EQ(own.at("stream_options").at("continuous_usage_stats"), true);
}

}  // namespace
}  // namespace hydra::gateway
