#pragma once
// In-process counters: the default limiter, for one gateway process.
// Counters live in 64 shards, each a hash map behind its own mutex; a take
// locks one shard for a few arithmetic operations. Looking up an existing
// counter allocates nothing; a new subject allocates its key once.
#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "limits/counter_key.h"
#include "limits/limiter.h"

namespace hydra::limits {

class LocalLimiter : public Limiter {
 public:
  // `clock` gives wall-clock milliseconds; tests pass their own.
  explicit LocalLimiter(int64_t (*clock)() = nullptr);

  boost::asio::awaitable<int> acquire(std::span<Take> takes) override;
  std::optional<int> acquire_at_once(std::span<Take> takes) override { return acquire_now(takes); }
  void settle(std::span<const Take> takes, std::span<const int64_t> actual) override;
  void sweep(int64_t now_ms) override;
  const char* name() const override { return "local"; }

  // The same decision as acquire(), without a coroutine (it never waits).
  int acquire_now(std::span<Take> takes);
  size_t counters() const;

 private:
  struct Counter {
    int64_t window_start = 0;
    int64_t window_ms = 0;
    int64_t used = 0;
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<CounterKey, Counter, CounterKeyHash, CounterKeyEq> counters;
  };
  static constexpr size_t kShards = 64;

  Shard& shard_for(const CounterKeyView& k);
  bool take_one(Take& t, int64_t now);
  void give_back(const Take& t, int64_t delta, int64_t now);

  int64_t (*clock_)();
  std::array<Shard, kShards> shards_;
};

}  // namespace hydra::limits
