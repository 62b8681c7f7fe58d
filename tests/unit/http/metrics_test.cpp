#include "http/metrics.h"

#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

namespace hydra::http {
namespace {

// Whether the rendered text holds `part`, with the text in the failure.
::testing::AssertionResult Has(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "missing \"" << part << "\" in:\n" << text;
}

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
  EXPECT_TRUE(Has(text, "# TYPE hydra_requests_total counter"));
  EXPECT_TRUE(Has(text, "hydra_requests_total{route=\"/a\",status=\"200\"} 3\n"));
  EXPECT_TRUE(Has(text, "hydra_open 5\n"));
  EXPECT_TRUE(Has(text, "hydra_latency_seconds_bucket{route=\"/a\",le=\"0.1\"} 1\n"));
  EXPECT_TRUE(Has(text, "hydra_latency_seconds_bucket{route=\"/a\",le=\"1\"} 2\n"));
  EXPECT_TRUE(Has(text, "hydra_latency_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3\n"));
  EXPECT_TRUE(Has(text, "hydra_latency_seconds_count{route=\"/a\"} 3\n"));
}

TEST(Metrics, EscapesLabelValues) {
  Metrics m;
  m.counter_add("x_total", {{"path", "a\"b\\c\nd"}});
  EXPECT_TRUE(Has(m.render(), "x_total{path=\"a\\\"b\\\\c\\nd\"} 1"));
}

TEST(Metrics, GaugeFunctionsAreReadWhenRendered) {
  Metrics m;
  double level = 3;
  m.describe("hydra_level", "gauge", "A level kept elsewhere");
  m.gauge_fn("hydra_level", [&] { return level; });
  EXPECT_TRUE(Has(m.render(), "# TYPE hydra_level gauge\nhydra_level 3\n"));
  level = 7;
  EXPECT_TRUE(Has(m.render(), "hydra_level 7\n"));
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
  EXPECT_TRUE(Has(text, "# TYPE hydra_requests_total counter\n"));
  EXPECT_TRUE(Has(text, "hydra_requests_total{status=\"200\"} 40005\n"));
  EXPECT_TRUE(Has(text, "hydra_latency_seconds_bucket{route=\"/a\",le=\"0.1\"} 20000\n"));
  EXPECT_TRUE(Has(text, "hydra_latency_seconds_bucket{route=\"/a\",le=\"1\"} 40000\n"));
  EXPECT_TRUE(Has(text, "hydra_latency_seconds_bucket{route=\"/a\",le=\"+Inf\"} 40001\n"));
  EXPECT_TRUE(Has(text, "hydra_latency_seconds_sum{route=\"/a\"} 11255\n"));
}

// Threads beyond the shard count share shards: no add or sample is lost,
// and the shards of every series sum to it.
TEST(Metrics, MoreThreadsThanShardsLoseNothing) {
  Metrics m;
  m.describe_histogram("hydra_seconds", "Seconds", {1});
  const Metrics::Counter tokens = m.counter("hydra_tokens_total", {});
  const Metrics::Histogram seconds = m.histogram("hydra_seconds", {});
  const int threads = static_cast<int>(Metrics::kShards) * 2;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = 0; i < 5000; ++i) {
        tokens.add(3);
        seconds.observe(0.25);
      }
    });
  }
  for (auto& t : pool) t.join();
  const std::string text = m.render();
  const int n = threads * 5000;
  EXPECT_TRUE(Has(text, "hydra_tokens_total " + std::to_string(3 * n) + "\n"));
  EXPECT_TRUE(Has(text, "hydra_seconds_bucket{le=\"1\"} " + std::to_string(n) + "\n"));
  EXPECT_TRUE(Has(text, "hydra_seconds_count " + std::to_string(n) + "\n"));
  ASSERT_EQ(n % 4, 0);  // n quarters sum to a whole number, exactly
  EXPECT_TRUE(Has(text, "hydra_seconds_sum " + std::to_string(n / 4) + "\n"));
}

TEST(Metrics, GaugeCellsSetAndAdd) {
  Metrics m;
  const Metrics::Counter g = m.gauge("hydra_open", {});
  g.set(4);
  g.add(-1);
  EXPECT_TRUE(Has(m.render(), "# TYPE hydra_open gauge\nhydra_open 3\n"));
}

TEST(CellCache, ResolvesEachKeyOnceAndKeepsItsCells) {
  CellCache<int> cache;
  int made = 0;
  const int& a = cache.get("a", [&] { return ++made; });
  for (int i = 0; i < 100; ++i) cache.get("k" + std::to_string(i), [&] { return ++made; });
  EXPECT_EQ(&cache.get("a", [&] { return ++made; }), &a);  // not moved by the growth
  EXPECT_EQ(a, 1);
  EXPECT_EQ(made, 101);
}

// A thread remembers its last lookup per cache: another cache, or a new
// cache built where an old one was, still gets its own cells.
TEST(CellCache, RemembersLookupsPerCache) {
  CellCache<int> first, second;
  EXPECT_EQ(first.get("m", [] { return 1; }), 1);
  EXPECT_EQ(second.get("m", [] { return 2; }), 2);
  EXPECT_EQ(first.get("m", [] { return 3; }), 1);
  for (int round = 0; round < 3; ++round) {
    auto cache = std::make_unique<CellCache<int>>();
    EXPECT_EQ(cache->get("m", [round] { return 10 + round; }), 10 + round);
  }
}

}  // namespace
}  // namespace hydra::http
