#pragma once
// The gateway's door to limits and quotas (DESIGN.md §4 "admit" and
// "settle limits"). admit() checks the quotas and draws from every counter
// the request's rules name, all or nothing; settle() corrects token
// reservations to the real usage, frees concurrency slots and charges the
// quotas. Rules and quotas are reloaded from the store by a background
// thread (every poll interval) so changes apply without restart.
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/periodic_thread.h"
#include "common/published.h"
#include "http/message.h"
#include "http/metrics.h"
#include "limits/admission.h"
#include "limits/estimate.h"
#include "limits/limiter.h"
#include "limits/quota_book.h"
#include "limits/rule_set.h"
#include "store/store.h"

namespace hydra::limits {

struct AdmitterOptions {
  std::string redis_url;   // empty: counters in this process
  int64_t poll_ms = 1000;  // rule reload and quota write-back interval
  int64_t sweep_ms = 30000;
};

class Admitter {
 public:
  Admitter(store::Store& st, http::Metrics& metrics, AdmitterOptions opts = {});
  // For tests: a limiter of the caller's choice.
  Admitter(store::Store& st, http::Metrics& metrics, std::unique_ptr<Limiter> limiter,
           AdmitterOptions opts = {});
  ~Admitter();
  Admitter(const Admitter&) = delete;
  Admitter& operator=(const Admitter&) = delete;

  // Loads rules and quotas, then follows changes until stop().
  void start();
  // Stops following and writes the quotas' consumption back.
  void stop();
  // Reloads now; true when something changed.
  bool refresh();
  void flush_quotas();

  // nullopt: admitted (claim recorded in `a`); otherwise the 429 answer,
  // with Retry-After and x-ratelimit-* headers.
  boost::asio::awaitable<std::optional<http::Response>> admit(Admission& a, Subject s, Estimate e);
  // The request ended having used `tokens` (prompt + completion) and `cost`.
  void settle(Admission& a, int64_t tokens, double cost);
  // A claim torn down without settle(): keep reservations, free slots.
  void abandon(Admission& a);

  Limiter& limiter() { return *limiter_; }
  std::shared_ptr<const RuleSet> rules() const { return rules_.get(); }
  QuotaBook& quota_book() { return book_; }

 private:
  void collect(Admission& a, const Estimate& e);
  http::Response refusal(Admission& a, int code, std::string message, int64_t retry_s);
  uint32_t uid_for(const std::string& id);
  void poll_once();  // one round of the poller: rules, quota write-back, sweep

  store::Store& store_;
  http::Metrics& metrics_;
  AdmitterOptions opts_;
  std::unique_ptr<Limiter> limiter_;
  Published<RuleSet> rules_;
  QuotaBook book_;
  std::mutex refresh_mu_;
  std::string signature_;
  std::map<std::string, uint32_t> uids_;
  std::atomic<bool> stopped_{false};
  int64_t last_sweep_ms_ = 0;  // touched by the poller only
  PeriodicThread poller_;
};

}  // namespace hydra::limits
