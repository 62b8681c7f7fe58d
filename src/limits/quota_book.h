#pragma once
// What each quota has consumed in its current period. A request's settled
// usage is added in memory at once (so this process never lets a used-up
// quota through) and written to quota_usage by flush(), which then reads
// the totals back, taking in what other gateway processes added. Totals
// survive restarts because they live in the store; at most the last
// unflushed second is lost if the process is killed.
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "limits/counter_key.h"
#include "limits/quota_store.h"
#include "limits/rule_set.h"
#include "store/store.h"

namespace hydra::limits {

struct QuotaSpent {
  int64_t tokens = 0;
  double cost = 0;
};

class QuotaBook {
 public:
  // Consumption of `q` by `s` in the period holding `now`.
  QuotaSpent spent(const CompiledQuota& q, const Subject& s, int64_t now) const;
  bool used_up(const CompiledQuota& q, const Subject& s, int64_t now) const;
  void add(const CompiledQuota& q, const Subject& s, int64_t now, int64_t tokens, double cost);
  // Writes what was added since the last flush and reloads the totals of
  // the current periods of `quotas`.
  void flush(store::Store& st, const std::vector<CompiledQuota>& quotas, int64_t now);

 private:
  struct Entry {
    int64_t period_start = 0;
    QuotaSpent stored;    // as last read from the store
    QuotaSpent flushing;  // being written right now
    QuotaSpent pending;   // added since
    std::string quota_id;
  };
  static QuotaSpent total(const Entry& e);

  mutable std::mutex mu_;
  std::unordered_map<CounterKey, Entry, CounterKeyHash, CounterKeyEq> entries_;
  std::mutex flush_mu_;  // one flush at a time
};

// "user\x1fmodel" for two-part subjects, as stored in quota_usage.subject.
std::string stored_subject(std::string_view a, std::string_view b);

}  // namespace hydra::limits
