#pragma once
// One request's claim on the limits: the counters it drew from and the
// quotas it counts against, kept in the gateway's per-request state with
// no allocation. Settled once when the request ends; a claim that is
// destroyed unsettled (the request was torn down) still gives its
// concurrency slots back.
#include <array>
#include <cstddef>
#include <memory>

#include "http/message.h"
#include "limits/limiter.h"
#include "limits/rule_set.h"

namespace hydra::limits {

class Admitter;

inline constexpr size_t kMaxTakes = 24;
inline constexpr size_t kMaxQuotas = 8;

class Admission {
 public:
  Admission() = default;
  ~Admission();
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;

  // x-ratelimit-{limit,remaining,reset}-{requests,tokens} for the tightest
  // requests and tokens rules that applied; nothing when none did.
  void add_headers(http::Headers& h) const;
  size_t takes() const { return n_takes_; }
  const Take& take(size_t i) const { return takes_[i]; }
  // The platform error code of the refusal admit() answered, 0 if none.
  int refusal_code() const { return refusal_code_; }

 private:
  friend class Admitter;
  // Index of the take whose numbers the headers show for `m`, or -1.
  int tightest(Metric m) const;

  Admitter* owner_ = nullptr;
  std::shared_ptr<const RuleSet> rules_;  // keeps the views in takes_ valid
  Subject subject_;
  std::array<Take, kMaxTakes> takes_;
  std::array<const CompiledRule*, kMaxTakes> take_rules_{};
  size_t n_takes_ = 0;
  int refused_ = -1;
  int refusal_code_ = 0;
  std::array<const CompiledQuota*, kMaxQuotas> quotas_{};
  size_t n_quotas_ = 0;
  bool settled_ = true;
};

// Go-style durations as OpenAI sends them: "20ms", "1.5s", "6m0s", "1h2m3s".
std::string format_reset(int64_t ms);

}  // namespace hydra::limits
