#include "limits/quota.h"

#include <climits>
#include <ctime>

#include "common/error.h"
#include "common/json.h"

namespace hydra::limits {
namespace {

constexpr size_t kMaxTargetLength = 256;
constexpr int64_t kDayMs = 24LL * 3600 * 1000;

template <class E, size_t N>
std::optional<E> parse_name(std::string_view s, const E (&all)[N], std::string_view (*name)(E)) {
  for (E v : all) {
    if (name(v) == s) return v;
  }
  return std::nullopt;
}

void check_target(const std::string& value, bool allowed, const char* field, QuotaScope s) {
  if (value.size() > kMaxTargetLength) throw_param(std::string(field) + " is too long", field);
  if (!value.empty() && !allowed) {
    throw_param(
        std::string(field) + " does not apply to scope '" + std::string(quota_scope_name(s)) + "'",
        field);
  }
}

void read_fields(Quota& q, json::Fields& f, bool partial) {
  if (auto v = f.opt_str("scope")) {
    auto s = parse_quota_scope(*v);
    if (!s) throw_param("scope must be key, workspace, model, user or user+model", "scope");
    q.scope = *s;
  } else if (!partial) {
    throw_param("scope is required", "scope");
  }
  if (auto v = f.opt_str("metric")) {
    auto m = parse_quota_metric(*v);
    if (!m) throw_param("metric must be tokens or cost", "metric");
    q.metric = *m;
  }
  if (auto v = f.opt_str("period")) {
    auto p = parse_period(*v);
    if (!p) throw_param("period must be day, month or total", "period");
    q.period = *p;
  }
  if (auto v = f.opt_f64("budget")) {
    q.budget = *v;
  } else if (!partial) {
    throw_param("budget is required", "budget");
  }
  if (auto v = f.opt_str("workspace_id")) q.workspace_id = *v;
  if (auto v = f.opt_str("key_id")) q.key_id = *v;
  if (auto v = f.opt_str("user_id")) q.user_id = *v;
  if (auto v = f.opt_str("model")) q.model = *v;
  if (auto v = f.opt_str("description")) q.description = *v;
  f.done();
}

}  // namespace

std::string_view quota_scope_name(QuotaScope s) {
  switch (s) {
    case QuotaScope::kKey:
      return "key";
    case QuotaScope::kWorkspace:
      return "workspace";
    case QuotaScope::kModel:
      return "model";
    case QuotaScope::kUser:
      return "user";
    case QuotaScope::kUserModel:
      return "user+model";
  }
  return "key";
}

std::string_view quota_metric_name(QuotaMetric m) {
  return m == QuotaMetric::kCost ? "cost" : "tokens";
}

std::string_view period_name(Period p) {
  switch (p) {
    case Period::kDay:
      return "day";
    case Period::kMonth:
      return "month";
    case Period::kTotal:
      return "total";
  }
  return "total";
}

std::optional<QuotaScope> parse_quota_scope(std::string_view s) {
  static const QuotaScope all[] = {QuotaScope::kKey, QuotaScope::kWorkspace, QuotaScope::kModel,
                                   QuotaScope::kUser, QuotaScope::kUserModel};
  return parse_name(s, all, quota_scope_name);
}

std::optional<QuotaMetric> parse_quota_metric(std::string_view s) {
  static const QuotaMetric all[] = {QuotaMetric::kTokens, QuotaMetric::kCost};
  return parse_name(s, all, quota_metric_name);
}

std::optional<Period> parse_period(std::string_view s) {
  static const Period all[] = {Period::kDay, Period::kMonth, Period::kTotal};
  return parse_name(s, all, period_name);
}

int64_t period_start(Period p, int64_t ms) {
  if (p == Period::kTotal) return 0;
  if (p == Period::kDay) return ms - ((ms % kDayMs) + kDayMs) % kDayMs;
  time_t secs = static_cast<time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  tm.tm_mday = 1;
  tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

int64_t period_end(Period p, int64_t ms) {
  if (p == Period::kTotal) return INT64_MAX;
  if (p == Period::kDay) return period_start(p, ms) + kDayMs;
  time_t secs = static_cast<time_t>(period_start(p, ms) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  tm.tm_mon += 1;  // timegm normalises December + 1 into January of the next year
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

Quota quota_from_json(const boost::json::value& body) {
  json::Fields f(body);
  Quota q;
  read_fields(q, f, false);
  validate_quota(q);
  return q;
}

void apply_quota_patch(Quota& q, const boost::json::value& body) {
  json::Fields f(body);
  read_fields(q, f, true);
  validate_quota(q);
}

void validate_quota(const Quota& q) {
  check_target(q.workspace_id, q.scope == QuotaScope::kWorkspace, "workspace_id", q.scope);
  check_target(q.key_id, q.scope == QuotaScope::kKey, "key_id", q.scope);
  check_target(q.user_id, q.scope == QuotaScope::kUser || q.scope == QuotaScope::kUserModel,
               "user_id", q.scope);
  check_target(q.model, q.scope == QuotaScope::kModel || q.scope == QuotaScope::kUserModel, "model",
               q.scope);
  if (!(q.budget >= 0) || q.budget > 1e15) {
    throw_param("budget must be a number between 0 and 1e15", "budget");
  }
  if (q.description.size() > 1024) throw_param("description is too long", "description");
}

boost::json::object to_json(const Quota& q) {
  return boost::json::object{{"id", q.id},
                             {"scope", quota_scope_name(q.scope)},
                             {"metric", quota_metric_name(q.metric)},
                             {"period", period_name(q.period)},
                             {"workspace_id", q.workspace_id},
                             {"key_id", q.key_id},
                             {"user_id", q.user_id},
                             {"model", q.model},
                             {"budget", q.budget},
                             {"description", q.description},
                             {"created_at", q.created_at},
                             {"updated_at", q.updated_at}};
}

}  // namespace hydra::limits
