#include "http/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

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

// A resolved cell is the same series the name-and-labels calls update, and
// concurrent adds through it are not lost.
TEST(Metrics, ResolvedCellsShareTheSeriesAndCountEveryAdd) {
  Metrics m;
  m.describe_histogram("hydra_latency_seconds", "Latency", {0.1, 1});
  const Metrics::Counter ok = m.counter("hydra_requests_total", {{"status", "200"}});
  const Metrics::Histogram lat = m.histogram("hydra_latency_seconds", {{"route", "/a"}});
  m.counter_add("hydra_requests_total", {{"status", "200"}}, 5);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        ok.add();
        lat.observe(i % 2 ? 0.0625 : 0.5);  // exact in binary, so the sum is too
      }
    });
  }
  for (auto& t : threads) t.join();
  m.observe("hydra_latency_seconds", {{"route", "/a"}}, 5);
  const std::string text = m.render();
  EXPECT_NE(text.find("# TYPE hydra_requests_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("hydra_requests_total{status=\"200\"} 40005\n"), std::string::npos);
  EXPECT_NE(text.find("hydra_latency_seconds_bucket{route=\"/a\",le=\"0.1\"} 20000\n"),
            std::string::npos);
  EXPECT_NE(text.find("hydra_latency_seconds_bucket{route=\"/a\",le=\"1\"} 40000\n"),
            std::string::npos);
  EXPECT_NE(text.find("hydra_latency_seconds_bucket{route=\"/a\",le=\"+Inf\"} 40001\n"),
            std::string::npos);
  EXPECT_NE(text.find("hydra_latency_seconds_sum{route=\"/a\"} 11255\n"), std::string::npos);
}

TEST(Metrics, GaugeCellsSetAndAdd) {
  Metrics m;
  const Metrics::Counter g = m.gauge("hydra_open", {});
  g.set(4);
  g.add(-1);
  EXPECT_NE(m.render().find("# TYPE hydra_open gauge\nhydra_open 3\n"), std::string::npos);
}

}  // namespace
}  // namespace hydra::http
