#include "limits/local_limiter.h"

#include <functional>

#include "common/clock.h"

namespace hydra::limits {
namespace {

int64_t window_start_of(int64_t now, int64_t window_ms) {
  return now - now % window_ms;
}

}  // namespace

LocalLimiter::LocalLimiter(int64_t (*clock)()) : clock_(clock ? clock : &now_ms) {}

LocalLimiter::Shard& LocalLimiter::shard_for(const CounterKeyView& k) {
  return shards_[(CounterKeyHash()(k) >> 7) % kShards];
}

// Checks and adds under the shard's lock, so no two takes can both see room
// for the last unit.
bool LocalLimiter::take_one(Take& t, int64_t now) {
  CounterKeyView kv{t.rule_uid, t.subject, t.subject2};
  Shard& sh = shard_for(kv);
  std::lock_guard<std::mutex> lock(sh.mu);
  auto it = sh.counters.find(kv);
  if (it == sh.counters.end()) {
    it = sh.counters.emplace(CounterKey(kv), Counter{}).first;
  }
  Counter& c = it->second;
  if (t.metric != Metric::kConcurrency) {
    int64_t start = window_start_of(now, t.window_ms);
    if (c.window_start != start || c.window_ms != t.window_ms) {
      c = Counter{start, t.window_ms, 0};
    }
    t.window_start = start;
    t.reset_ms = start + t.window_ms - now;
  } else if (c.window_ms != 0) {
    c = Counter{};  // the rule became a concurrency rule
  }
  if (c.used + t.amount > t.limit) {
    t.used = c.used;
    return false;
  }
  c.used += t.amount;
  t.used = c.used;
  t.granted = true;
  return true;
}

// Takes `delta` units back from the window the take went into (a negative
// delta adds). Once that window has passed, only additions still count, and
// they go into the current window: a request that used more than it
// reserved must not escape the limit because its window ended.
void LocalLimiter::give_back(const Take& t, int64_t delta, int64_t now) {
  CounterKeyView kv{t.rule_uid, t.subject, t.subject2};
  Shard& sh = shard_for(kv);
  std::lock_guard<std::mutex> lock(sh.mu);
  auto it = sh.counters.find(kv);
  if (it == sh.counters.end()) return;
  Counter& c = it->second;
  if (t.metric == Metric::kConcurrency) {
    c.used = std::max<int64_t>(0, c.used - delta);
    return;
  }
  if (c.window_start == t.window_start && c.window_ms == t.window_ms) {
    c.used = std::max<int64_t>(0, c.used - delta);
    return;
  }
  if (delta < 0) {
    int64_t start = window_start_of(now, t.window_ms);
    if (c.window_start != start || c.window_ms != t.window_ms) c = Counter{start, t.window_ms, 0};
    c.used -= delta;
  }
}

int LocalLimiter::acquire_now(std::span<Take> takes) {
  int64_t now = clock_();
  for (size_t i = 0; i < takes.size(); ++i) {
    if (take_one(takes[i], now)) continue;
    // Undo what was granted: the request is refused as a whole.
    for (size_t j = 0; j < i; ++j) {
      give_back(takes[j], takes[j].amount, now);
      takes[j].granted = false;
    }
    return static_cast<int>(i);
  }
  return -1;
}

boost::asio::awaitable<int> LocalLimiter::acquire(std::span<Take> takes) {
  co_return acquire_now(takes);
}

void LocalLimiter::settle(std::span<const Take> takes, std::span<const int64_t> actual) {
  int64_t now = clock_();
  for (size_t i = 0; i < takes.size(); ++i) {
    const Take& t = takes[i];
    if (!t.granted) continue;
    if (t.metric == Metric::kConcurrency) {
      give_back(t, t.amount, now);
    } else if (i < actual.size() && actual[i] >= 0 && actual[i] != t.amount) {
      give_back(t, t.amount - actual[i], now);
    }
  }
}

void LocalLimiter::sweep(int64_t now) {
  for (auto& sh : shards_) {
    std::lock_guard<std::mutex> lock(sh.mu);
    std::erase_if(sh.counters, [now](const auto& kv) {
      const Counter& c = kv.second;
      if (c.window_ms == 0) return c.used == 0;
      return c.window_start + c.window_ms <= now;
    });
  }
}

size_t LocalLimiter::counters() const {
  size_t n = 0;
  for (const auto& sh : shards_) {
    std::lock_guard<std::mutex> lock(sh.mu);
    n += sh.counters.size();
  }
  return n;
}

}  // namespace hydra::limits
