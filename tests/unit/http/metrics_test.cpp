#include "http/metrics.h"

#include <gtest/gtest.h>

namespace hydra::http {
namespace {

TEST(Metrics, RendersCountersGaugesAndHistograms) {
  Metrics m;
  m.describe("hydra_requests_total", "counter", "Requests");
  m.counter_add("hydra_requests_total", {{"route", "/a"}, {"status", "200"}}, 2);
  m.counter_add("hydra_requests_total", {{"route", "/a"}, {"status", "200"}});
  m.gauge_set("hydra_open", {}, 5);
  m.describe_histogram("hydra_latency_seconds", "Latency", {0.1, 1});
  m.observe("hydra_latency_seconds", {{"route", "/a"}}, 0.05);
  m.observe("hydra_latency_seconds", {{"route", "/a"}}, 0.5);
  m.observe("hydra_latency_seconds", {{"route", "/a"}}, 5);
  std::string text = m.render();
  EXPECT_NE(text.find("# TYPE hydra_requests_total counter"), std::string::npos);
  EXPECT_NE(text.find("hydra_requests_total{route=\"/a\",status=\"200\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("hydra_open 5\n"), std::string::npos);
  EXPECT_NE(text.find("hydra_latency_seconds_bucket{route=\"/a\",le=\"0.1\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("hydra_latency_seconds_bucket{route=\"/a\",le=\"1\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("hydra_latency_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("hydra_latency_seconds_count{route=\"/a\"} 3\n"), std::string::npos);
}

TEST(Metrics, EscapesLabelValues) {
  Metrics m;
  m.counter_add("x_total", {{"path", "a\"b\\c\nd"}});
  EXPECT_NE(m.render().find("x_total{path=\"a\\\"b\\\\c\\nd\"} 1"), std::string::npos);
}

TEST(Metrics, GaugeFunctionsAreReadWhenRendered) {
  Metrics m;
  double level = 3;
  m.describe("hydra_level", "gauge", "A level kept elsewhere");
  m.gauge_fn("hydra_level", [&] { return level; });
  EXPECT_NE(m.render().find("# TYPE hydra_level gauge\nhydra_level 3\n"), std::string::npos);
  level = 7;
  EXPECT_NE(m.render().find("hydra_level 7\n"), std::string::npos);
}

}  // namespace
}  // namespace hydra::http
