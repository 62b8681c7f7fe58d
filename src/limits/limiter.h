#pragma once
// The limiter extension point: counters that requests draw from, kept in
// this process (LocalLimiter) or shared by several gateways (RedisLimiter).
//
// Windows are fixed and aligned to the Unix epoch: a rule of N per W
// seconds admits at most N units in every interval [k*W, (k+1)*W) of wall
// clock time. Amounts are checked and added as one step, so the guarantee
// holds exactly under any concurrency. (Two adjacent windows may together
// admit 2N within W seconds; that is the price of an exact, O(1) counter.)
//
// Concurrency buckets count requests in flight; release() gives the slot
// back when the request ends, however it ended.
#include <array>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "limits/rule.h"

namespace hydra::limits {

// One counter a request draws from. The caller fills the first block; the
// limiter fills the second.
struct Take {
  uint32_t rule_uid = 0;      // stable number of the rule in this process
  std::string_view rule_id;   // stable name of the rule across processes
  std::string_view subject;   // who is counted: "" (global), a key id, ...
  std::string_view subject2;  // second part of a key+model subject
  Metric metric = Metric::kRequests;
  int64_t limit = 0;
  int64_t window_ms = 0;  // 0 for concurrency
  int64_t amount = 1;

  bool granted = false;
  int64_t window_start = 0;  // ms; the window the amount went into
  int64_t used = 0;          // after the take; on refusal, what was already used
  int64_t reset_ms = 0;      // until the window ends
  uint64_t lease = 0;        // concurrency: the slot to give back
};

class Limiter {
 public:
  virtual ~Limiter() = default;
  // All or nothing: every take is granted, or none is. Returns the index of
  // a take that did not fit, or -1 when all were granted.
  virtual boost::asio::awaitable<int> acquire(std::span<Take> takes) = 0;
  // The same decision made at once, for a limiter that never waits (no
  // coroutine to start on every request); nullopt when acquire() must be
  // awaited instead.
  virtual std::optional<int> acquire_at_once(std::span<Take> /*takes*/) { return std::nullopt; }
  // Ends the request: token takes are corrected from `amount` to the real
  // count in `actual` (same order; -1 keeps the reservation) and
  // concurrency slots are given back. Never blocks the caller.
  virtual void settle(std::span<const Take> takes, std::span<const int64_t> actual) = 0;
  // Drops counters whose windows have passed; called from a background
  // thread now and then.
  virtual void sweep(int64_t /*now_ms*/) {}
  virtual const char* name() const = 0;
};

}  // namespace hydra::limits
