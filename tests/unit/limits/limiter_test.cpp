// The limiter contract, run against the in-process limiter and against a
// real Redis server (HYDRA_TEST_REDIS_URL, set by scripts/with-redis.sh):
// exact windows under concurrency, all-or-nothing takes, token
// reservations settled to the real count, concurrency slots given back.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/random.h"
#include "limits/local_limiter.h"
#include "limits/redis_limiter.h"

namespace hydra::limits {
namespace {

std::unique_ptr<Limiter> make(const std::string& kind) {
  if (kind == "local") return std::make_unique<LocalLimiter>();
  const char* url = std::getenv("HYDRA_TEST_REDIS_URL");
  if (!url || !*url) return nullptr;
  return std::make_unique<RedisLimiter>(url, nullptr);
}

// Runs the coroutine acquire() to completion on a private io_context.
int acquire(Limiter& l, std::span<Take> takes) {
  boost::asio::io_context io;
  int out = -2;
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { out = co_await l.acquire(takes); },
      boost::asio::detached);
  io.run();
  return out;
}

void settle_now(Limiter& l, std::span<const Take> takes, std::span<const int64_t> actual) {
  l.settle(takes, actual);
  if (auto* r = dynamic_cast<RedisLimiter*>(&l)) r->drain();
}

class LimiterContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    limiter_ = make(GetParam());
    if (!limiter_)
      GTEST_SKIP() << "HYDRA_TEST_REDIS_URL is not set (run under scripts/with-redis.sh)";
    // A fresh rule name per test, so runs against one Redis never share counters.
    rule_ = "test-" + random_hex(6);
  }
  Take take(Metric m, int64_t limit, int64_t window_ms, int64_t amount, uint32_t uid = 1,
            std::string_view subject = "k1") {
    Take t;
    t.rule_uid = uid;
    t.rule_id = uid == 1 ? rule_ : (uid == 2 ? rule2_ : rule3_);
    t.subject = subject;
    t.metric = m;
    t.limit = limit;
    t.window_ms = window_ms;
    t.amount = amount;
    return t;
  }
  void SetUpSecondRules() {
    rule2_ = rule_ + "-b";
    rule3_ = rule_ + "-c";
  }

  std::unique_ptr<Limiter> limiter_;
  std::string rule_, rule2_ = "x-b", rule3_ = "x-c";
};

TEST_P(LimiterContract, NoWindowAdmitsMoreThanTheLimitUnderConcurrency) {
  constexpr int kThreads = 8, kPerThread = 40, kLimit = 100;
  std::mutex mu;
  std::map<int64_t, int> granted_per_window;
  std::map<int64_t, std::vector<int64_t>> used_seen;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < kPerThread; ++j) {
        Take t = take(Metric::kRequests, kLimit, 60000, 1);
        int refused = acquire(*limiter_, std::span<Take>(&t, 1));
        std::lock_guard<std::mutex> lock(mu);
        if (refused < 0) {
          ASSERT_TRUE(t.granted);
          granted_per_window[t.window_start]++;
          used_seen[t.window_start].push_back(t.used);
        } else {
          EXPECT_EQ(t.used, kLimit);
          EXPECT_GT(t.reset_ms, 0);
          EXPECT_LE(t.reset_ms, 60000);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  int total = 0;
  for (auto& [start, n] : granted_per_window) {
    EXPECT_LE(n, kLimit) << "window " << start;
    total += n;
    // Every grant saw a distinct count: the check and the add are one step.
    auto& seen = used_seen[start];
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end());
  }
  // 320 tries within at most two windows: each window filled to the limit.
  EXPECT_EQ(total, kLimit * static_cast<int>(granted_per_window.size()));
}

TEST_P(LimiterContract, AllOrNothingAcrossCounters) {
  SetUpSecondRules();
  Take full = take(Metric::kRequests, 1, 60000, 1, 2);
  ASSERT_EQ(acquire(*limiter_, std::span<Take>(&full, 1)), -1);
  // The second counter is full, so the first must not be charged either.
  std::array<Take, 2> both{take(Metric::kRequests, 1, 60000, 1, 1),
                           take(Metric::kRequests, 1, 60000, 1, 2)};
  EXPECT_EQ(acquire(*limiter_, both), 1);
  EXPECT_FALSE(both[0].granted);
  Take first = take(Metric::kRequests, 1, 60000, 1, 1);
  EXPECT_EQ(acquire(*limiter_, std::span<Take>(&first, 1)), -1);
  EXPECT_EQ(first.used, 1);
}

TEST_P(LimiterContract, TokenReservationsSettleToTheRealCount) {
  Take a = take(Metric::kTokens, 1000, 60000, 600);
  ASSERT_EQ(acquire(*limiter_, std::span<Take>(&a, 1)), -1);
  EXPECT_EQ(a.used, 600);
  Take b = take(Metric::kTokens, 1000, 60000, 600);
  EXPECT_EQ(acquire(*limiter_, std::span<Take>(&b, 1)), 0) << "600 + 600 > 1000";
  EXPECT_EQ(b.used, 600);
  // The first request used 100 tokens: 500 go back.
  int64_t actual = 100;
  settle_now(*limiter_, std::span<const Take>(&a, 1), std::span<const int64_t>(&actual, 1));
  Take c = take(Metric::kTokens, 1000, 60000, 600);
  ASSERT_EQ(acquire(*limiter_, std::span<Take>(&c, 1)), -1);
  EXPECT_EQ(c.used, 700);
  // Using more than reserved is charged too; overspend stays one request.
  actual = 1200;
  settle_now(*limiter_, std::span<const Take>(&c, 1), std::span<const int64_t>(&actual, 1));
  Take d = take(Metric::kTokens, 1000, 60000, 1);
  EXPECT_EQ(acquire(*limiter_, std::span<Take>(&d, 1)), 0);
  EXPECT_EQ(d.used, 1300);
}

TEST_P(LimiterContract, ConcurrencySlotsComeBackOnSettle) {
  Take a = take(Metric::kConcurrency, 2, 0, 1);
  Take b = take(Metric::kConcurrency, 2, 0, 1);
  Take c = take(Metric::kConcurrency, 2, 0, 1);
  ASSERT_EQ(acquire(*limiter_, std::span<Take>(&a, 1)), -1);
  ASSERT_EQ(acquire(*limiter_, std::span<Take>(&b, 1)), -1);
  EXPECT_EQ(acquire(*limiter_, std::span<Take>(&c, 1)), 0);
  // Settling a finished (or aborted, or failed) request frees its slot,
  // whatever its token count.
  int64_t keep = -1;
  settle_now(*limiter_, std::span<const Take>(&a, 1), std::span<const int64_t>(&keep, 1));
  Take d = take(Metric::kConcurrency, 2, 0, 1);
  EXPECT_EQ(acquire(*limiter_, std::span<Take>(&d, 1)), -1);
  EXPECT_EQ(d.used, 2);
}

TEST_P(LimiterContract, ANewWindowStartsEmpty) {
  constexpr int64_t kWindow = 1000;
  Take t;
  for (int i = 0; i < 3; ++i) {
    t = take(Metric::kRequests, 3, kWindow, 1);
    if (acquire(*limiter_, std::span<Take>(&t, 1)) != -1) {
      // The window turned over between grants; the new one admits again.
      ASSERT_EQ(acquire(*limiter_, std::span<Take>(&t, 1)), -1);
    }
  }
  Take over = take(Metric::kRequests, 3, kWindow, 1);
  int refused = acquire(*limiter_, std::span<Take>(&over, 1));
  if (refused == 0) {
    EXPECT_EQ(over.used, 3);
    EXPECT_GT(over.reset_ms, 0);
    EXPECT_LE(over.reset_ms, kWindow);
    std::this_thread::sleep_for(std::chrono::milliseconds(over.reset_ms + 20));
  }
  Take next = take(Metric::kRequests, 3, kWindow, 1);
  ASSERT_EQ(acquire(*limiter_, std::span<Take>(&next, 1)), -1);
  EXPECT_LE(next.used, 2);
  EXPECT_EQ(next.window_start % kWindow, 0) << "windows are aligned to the epoch";
}

TEST_P(LimiterContract, SubjectsCountSeparately) {
  Take a = take(Metric::kRequests, 1, 60000, 1, 1, "key-a");
  Take b = take(Metric::kRequests, 1, 60000, 1, 1, "key-b");
  EXPECT_EQ(acquire(*limiter_, std::span<Take>(&a, 1)), -1);
  EXPECT_EQ(acquire(*limiter_, std::span<Take>(&b, 1)), -1);
  Take a2 = take(Metric::kRequests, 1, 60000, 1, 1, "key-a");
  EXPECT_EQ(acquire(*limiter_, std::span<Take>(&a2, 1)), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, LimiterContract, ::testing::Values("local", "redis"),
                         [](const auto& info) { return info.param; });

// Fixed clock: the boundaries themselves.
int64_t g_now = 0;
int64_t fake_clock() {
  return g_now;
}

TEST(LocalLimiter, WindowBoundariesAreExact) {
  LocalLimiter l(&fake_clock);
  g_now = 120000 - 1;  // last millisecond of window [60000, 120000)
  auto one = [&] {
    Take t;
    t.rule_uid = 7;
    t.rule_id = "r";
    t.limit = 2;
    t.window_ms = 60000;
    return t;
  };
  Take a = one(), b = one(), c = one();
  EXPECT_EQ(l.acquire_now(std::span<Take>(&a, 1)), -1);
  EXPECT_EQ(l.acquire_now(std::span<Take>(&b, 1)), -1);
  EXPECT_EQ(l.acquire_now(std::span<Take>(&c, 1)), 0);
  EXPECT_EQ(c.reset_ms, 1);
  g_now = 120000;
  Take d = one();
  EXPECT_EQ(l.acquire_now(std::span<Take>(&d, 1)), -1);
  EXPECT_EQ(d.window_start, 120000);
  EXPECT_EQ(d.used, 1);
  // A reservation made in the old window that turns out larger is charged
  // to the current one; a smaller one no longer matters.
  int64_t actual = 1;
  a.metric = Metric::kTokens;
  a.amount = 0;
  l.settle(std::span<const Take>(&a, 1), std::span<const int64_t>(&actual, 1));
  Take e = one();
  EXPECT_EQ(l.acquire_now(std::span<Take>(&e, 1)), 0);
  EXPECT_EQ(e.used, 2);
  g_now = 200000;
  l.sweep(g_now);
  EXPECT_EQ(l.counters(), 0u);
}

TEST(RedisLimiter, UnreachableServerAdmitsAndCounts) {
  http::Metrics m;
  RedisLimiterOptions o;
  o.timeout_ms = 200;
  RedisLimiter l("redis://127.0.0.1:1", &m, o);
  Take t;
  t.rule_id = "r";
  t.limit = 0;
  t.window_ms = 1000;
  EXPECT_EQ(acquire(l, std::span<Take>(&t, 1)), -1) << "fail open";
  EXPECT_FALSE(t.granted);
  EXPECT_NE(m.render().find("hydra_limits_backend_errors_total 1"), std::string::npos)
      << m.render();
  EXPECT_FALSE(l.ping());
}

TEST(RedisUrl, Parses) {
  auto u = parse_redis_url("redis://:s%40cret@10.0.0.2:6380/3");
  EXPECT_EQ(u.host, "10.0.0.2");
  EXPECT_EQ(u.port, 6380);
  EXPECT_EQ(u.password, "s@cret");
  EXPECT_EQ(u.db, 3);
  auto d = parse_redis_url("redis://cache");
  EXPECT_EQ(d.host, "cache");
  EXPECT_EQ(d.port, 6379);
  EXPECT_THROW(parse_redis_url("http://x"), std::invalid_argument);
  EXPECT_THROW(parse_redis_url("redis://h:99999"), std::invalid_argument);
  EXPECT_THROW(parse_redis_url("redis://h/x"), std::invalid_argument);
}

}  // namespace
}  // namespace hydra::limits
