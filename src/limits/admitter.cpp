#include "limits/admitter.h"

#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"
#include "limits/local_limiter.h"
#include "limits/quota_store.h"
#include "limits/redis_limiter.h"
#include "limits/rule_store.h"

namespace hydra::limits {
namespace {

ErrorCode code_for(const LimitRule& r) {
  bool per_key = r.scope == Scope::kKey || r.scope == Scope::kKeyModel;
  if (r.scope == Scope::kGlobal) return ErrorCode::kGlobalRateLimit;
  if (r.scope == Scope::kWorkspace) return ErrorCode::kWorkspaceRateLimit;
  switch (r.metric) {
    case Metric::kRequests:
      return per_key ? ErrorCode::kAkRpm : ErrorCode::kModelRpm;
    case Metric::kTokens:
      return per_key ? ErrorCode::kAkTpm : ErrorCode::kModelTpm;
    case Metric::kImages:
      return per_key ? ErrorCode::kAkIpm : ErrorCode::kModelIpm;
    case Metric::kConcurrency:
      return per_key ? ErrorCode::kAkConcurrency : ErrorCode::kModelConcurrency;
  }
  return ErrorCode::kGlobalRateLimit;
}

std::string rule_signature(const std::vector<LimitRule>& rules, const std::vector<Quota>& quotas) {
  std::string sig;
  for (const auto& r : rules) {
    sig += r.id + '\x1f' + std::to_string(r.updated_at) + '\x1f' + std::to_string(r.limit) +
           '\x1f' + std::to_string(r.window_seconds) + '\x1e';
  }
  sig += '\x1d';
  for (const auto& q : quotas) sig += q.id + '\x1f' + std::to_string(q.updated_at) + '\x1e';
  return sig;
}

std::unique_ptr<Limiter> make_limiter(const AdmitterOptions& o, http::Metrics& m) {
  if (o.redis_url.empty()) return std::make_unique<LocalLimiter>();
  return std::make_unique<RedisLimiter>(o.redis_url, &m);
}

}  // namespace

Admitter::Admitter(store::Store& st, http::Metrics& metrics, AdmitterOptions opts)
    : Admitter(st, metrics, make_limiter(opts, metrics), opts) {}

Admitter::Admitter(store::Store& st, http::Metrics& metrics, std::unique_ptr<Limiter> limiter,
                   AdmitterOptions opts)
    : store_(st),
      metrics_(metrics),
      opts_(std::move(opts)),
      limiter_(std::move(limiter)),
      rules_(std::make_shared<const RuleSet>(std::vector<CompiledRule>{},
                                             std::vector<CompiledQuota>{})) {
  metrics_.describe("hydra_gateway_limit_rejections_total", "counter",
                    "Requests refused by a rate limit or quota, by model and metric");
}

Admitter::~Admitter() {
  stop();
}

void Admitter::start() {
  try {
    refresh();
  } catch (const std::exception& e) {
    spdlog::error("rate limits not loaded: {}", e.what());
  }
  if (auto* redis = dynamic_cast<RedisLimiter*>(limiter_.get())) {
    if (redis->ping()) {
      spdlog::info("rate limits shared through Redis");
    } else {
      spdlog::warn("rate limits: Redis is not reachable yet; requests pass unchecked until it is");
    }
  }
  flush_quotas();
  last_sweep_ms_ = now_ms();
  poller_.start("rate limits not reloaded", opts_.poll_ms, [this] { poll_once(); });
}

void Admitter::stop() {
  if (stopped_.exchange(true)) return;
  poller_.stop();
  flush_quotas();
  if (auto* redis = dynamic_cast<RedisLimiter*>(limiter_.get())) redis->drain();
}

void Admitter::poll_once() {
  if (refresh()) spdlog::info("rate limits and quotas reloaded");
  flush_quotas();
  int64_t now = now_ms();
  if (now - last_sweep_ms_ >= opts_.sweep_ms) {
    limiter_->sweep(now);
    last_sweep_ms_ = now;
  }
}

uint32_t Admitter::uid_for(const std::string& id) {
  auto [it, added] = uids_.emplace(id, static_cast<uint32_t>(uids_.size() + 1));
  return it->second;
}

bool Admitter::refresh() {
  std::vector<LimitRule> rules = list_rules(store_);
  for (auto& r : maas_model_rules(store_)) rules.push_back(std::move(r));
  std::vector<Quota> quotas = list_quotas(store_);
  std::string sig = rule_signature(rules, quotas);
  std::lock_guard<std::mutex> lock(refresh_mu_);
  if (sig == signature_) return false;
  std::vector<CompiledRule> compiled;
  for (auto& r : rules) {
    uint32_t uid = uid_for(r.id);
    compiled.push_back(CompiledRule{std::move(r), uid});
  }
  std::vector<CompiledQuota> cq;
  for (auto& q : quotas) {
    uint32_t uid = uid_for("quota:" + q.id);
    cq.push_back(CompiledQuota{std::move(q), uid});
  }
  rules_.publish(std::make_shared<const RuleSet>(std::move(compiled), std::move(cq)));
  signature_ = std::move(sig);
  return true;
}

void Admitter::flush_quotas() {
  std::shared_ptr<const RuleSet> rules = rules_.get();
  try {
    book_.flush(store_, rules->quotas(), now_ms());
  } catch (const std::exception& e) {
    spdlog::warn("quota consumption not written: {}", e.what());
  }
}

void Admitter::collect(Admission& a, const Estimate& e) {
  a.rules_->for_each_rule(a.subject_, [&](const CompiledRule& cr) {
    const LimitRule& r = cr.rule;
    int64_t amount = 1;
    if (r.metric == Metric::kTokens) amount = e.tokens;
    if (r.metric == Metric::kImages) {
      if (e.images == 0) return;  // only image requests count against image limits
      amount = e.images;
    }
    if (a.n_takes_ == kMaxTakes) {
      spdlog::warn("more than {} rate limits apply to one request; rule {} skipped", kMaxTakes,
                   r.id);
      return;
    }
    Take& t = a.takes_[a.n_takes_];
    t = Take{};
    auto [s1, s2] = RuleSet::subject_of(r, a.subject_);
    t.rule_uid = cr.uid;
    t.rule_id = r.id;
    t.subject = s1;
    t.subject2 = s2;
    t.metric = r.metric;
    t.limit = r.limit;
    t.window_ms = r.window_seconds * 1000;
    t.amount = amount;
    a.take_rules_[a.n_takes_] = &cr;
    ++a.n_takes_;
  });
}

http::Response Admitter::refusal(Admission& a, int code, std::string message, int64_t retry_s) {
  auto ec = static_cast<ErrorCode>(code);
  a.refusal_code_ = code;
  http::Response resp = http::Response::json(error_info(ec).http_status, error_body(ec, message));
  a.add_headers(resp.headers);
  resp.set_header("retry-after", std::to_string(std::max<int64_t>(1, retry_s)));
  return resp;
}

boost::asio::awaitable<std::optional<http::Response>> Admitter::admit(Admission& a, Subject s,
                                                                      Estimate e) {
  a.owner_ = this;
  a.rules_ = rules_.get();
  a.subject_ = s;
  a.n_takes_ = a.n_quotas_ = 0;
  a.refused_ = -1;
  a.refusal_code_ = 0;
  a.settled_ = true;
  const RuleSet& rs = *a.rules_;
  if (rs.empty()) co_return std::nullopt;
  int64_t now = now_ms();
  if (rs.has_quotas()) {
    std::optional<http::Response> used_up;
    rs.for_each_quota(s, [&](const CompiledQuota& q) {
      if (used_up || a.n_quotas_ == kMaxQuotas) return;
      if (book_.used_up(q, s, now)) {
        int64_t end = period_end(q.quota.period, now);
        int64_t retry = end == INT64_MAX ? 0 : (end - now + 999) / 1000;
        std::string msg = "Your " + std::string(quota_scope_name(q.quota.scope)) + " quota of " +
                          std::to_string(static_cast<int64_t>(q.quota.budget)) + " " +
                          std::string(quota_metric_name(q.quota.metric)) + " per " +
                          std::string(period_name(q.quota.period)) +
                          " is used up. Ask an administrator for more.";
        used_up = refusal(a, static_cast<int>(ErrorCode::kResourcesTips), msg, retry);
        if (end == INT64_MAX) used_up->headers.pop_back();  // no Retry-After: it never resets
        return;
      }
      a.quotas_[a.n_quotas_++] = &q;
    });
    if (used_up) {
      a.n_quotas_ = 0;
      metrics_.counter_add("hydra_gateway_limit_rejections_total",
                           {{"model", std::string(s.model)}, {"metric", "quota"}});
      co_return used_up;
    }
  }
  collect(a, e);
  a.settled_ = false;
  if (a.n_takes_ == 0) co_return std::nullopt;
  std::span<Take> takes(a.takes_.data(), a.n_takes_);
  std::optional<int> at_once = limiter_->acquire_at_once(takes);
  int refused = at_once ? *at_once : co_await limiter_->acquire(takes);
  if (refused < 0) co_return std::nullopt;
  a.refused_ = refused;
  a.n_quotas_ = 0;
  a.settled_ = true;  // nothing was granted
  const Take& t = a.takes_[static_cast<size_t>(refused)];
  const LimitRule& r = a.take_rules_[static_cast<size_t>(refused)]->rule;
  std::string what = std::string(metric_name(r.metric));
  std::string msg = "Rate limit reached for " + std::string(scope_name(r.scope)) + " on " + what +
                    ": limit " + std::to_string(r.limit);
  int64_t retry = 1;
  if (r.metric == Metric::kConcurrency) {
    msg += " requests in flight. Try again when one has finished.";
  } else {
    msg += " per " + std::to_string(r.window_seconds) + "s, used " + std::to_string(t.used) +
           ", requested " + std::to_string(t.amount) + ". Try again in " +
           format_reset(t.reset_ms) + ".";
    retry = (t.reset_ms + 999) / 1000;
  }
  metrics_.counter_add("hydra_gateway_limit_rejections_total",
                       {{"model", std::string(s.model)}, {"metric", what}});
  co_return refusal(a, static_cast<int>(code_for(r)), msg, retry);
}

void Admitter::settle(Admission& a, int64_t tokens, double cost) {
  if (a.settled_) return;
  a.settled_ = true;
  std::array<int64_t, kMaxTakes> actual;
  for (size_t i = 0; i < a.n_takes_; ++i) {
    actual[i] = a.takes_[i].metric == Metric::kTokens ? tokens : -1;
  }
  if (a.n_takes_) {
    limiter_->settle(std::span<const Take>(a.takes_.data(), a.n_takes_),
                     std::span<const int64_t>(actual.data(), a.n_takes_));
  }
  int64_t now = now_ms();
  for (size_t i = 0; i < a.n_quotas_; ++i) book_.add(*a.quotas_[i], a.subject_, now, tokens, cost);
}

void Admitter::abandon(Admission& a) {
  if (a.settled_) return;
  a.settled_ = true;
  std::array<int64_t, kMaxTakes> keep;
  keep.fill(-1);
  if (a.n_takes_) {
    limiter_->settle(std::span<const Take>(a.takes_.data(), a.n_takes_),
                     std::span<const int64_t>(keep.data(), a.n_takes_));
  }
}

}  // namespace hydra::limits
