#pragma once
// Counters in Redis, shared by every gateway process that points at the
// same server. Each acquire or settle is one Lua script (loaded once per
// connection with SCRIPT LOAD, then run with EVALSHA), so checking and
// adding across all of a request's counters is atomic on the server; the
// window is computed from the server's clock (TIME), so gateways on hosts
// with skewed clocks still agree.
//
// The network threads never wait on Redis: calls run on a small pool of
// blocking connections on their own threads and the request's coroutine
// resumes when the answer is in. When Redis cannot be reached the request
// is admitted (fail open) and hydra_limits_backend_errors_total counts it:
// an outage of the limit store must not become an outage of the gateway.
//
// Concurrency slots are leases in a sorted set that expire after
// `lease_ttl_ms`, so the slots of a gateway that died are freed.
// Requires a single Redis server (the scripts build keys they do not
// declare, which Redis Cluster refuses).
#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "http/metrics.h"
#include "limits/limiter.h"
#include "limits/redis_url.h"

struct redisContext;

namespace hydra::limits {

struct RedisLimiterOptions {
  int threads = 4;                // connections and threads of the pool
  int64_t timeout_ms = 1000;      // connect and per-command time-out
  int64_t lease_ttl_ms = 600000;  // concurrency slot lifetime
  std::string key_prefix = "hydra:rl:";
};

class RedisLimiter : public Limiter {
 public:
  // Throws std::invalid_argument on a bad URL. Does not connect yet.
  RedisLimiter(const std::string& url, http::Metrics* metrics, RedisLimiterOptions opts = {});
  ~RedisLimiter() override;

  boost::asio::awaitable<int> acquire(std::span<Take> takes) override;
  void settle(std::span<const Take> takes, std::span<const int64_t> actual) override;
  const char* name() const override { return "redis"; }

  // Blocking forms, used on the pool (and by tests).
  int acquire_blocking(std::span<Take> takes);
  void settle_blocking(const std::vector<std::string>& args);
  // PING on a pooled connection; false when Redis cannot be reached.
  bool ping();
  // Waits until every posted settle has run (for tests and shutdown).
  void drain();

 private:
  struct Conn;
  std::unique_ptr<Conn> checkout();
  void checkin(std::unique_ptr<Conn> c);
  // EVALSHA with a reload on NOSCRIPT; nullptr (and the connection
  // dropped) on a network failure.
  struct ReplyDeleter {
    void operator()(void* r) const;
  };
  using Reply = std::unique_ptr<void, ReplyDeleter>;
  Reply run_script(Conn& c, bool settle_script, const std::vector<std::string>& args);
  void note_error(const std::string& what);
  std::string bucket_key(const Take& t) const;

  RedisUrl url_;
  http::Metrics* metrics_;
  RedisLimiterOptions opts_;
  std::string lease_prefix_;
  std::atomic<uint64_t> next_lease_{1};
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Conn>> idle_;
  std::atomic<int64_t> pending_settles_{0};
  std::atomic<int64_t> last_error_log_ms_{0};
  boost::asio::thread_pool threads_;
};

}  // namespace hydra::limits
