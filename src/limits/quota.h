#pragma once
// Quotas (DESIGN.md §3 Quota): a budget of tokens or cost per key,
// workspace, model, user or user+model over a period (UTC day, UTC month,
// or all time). An empty target means "each one separately", so a
// user+model quota with no targets is a per-user free trial on every model.
// Used up, a quota refuses requests with 600005 RESOURCES_TIPS.
#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hydra::limits {

enum class QuotaScope { kKey, kWorkspace, kModel, kUser, kUserModel };
enum class QuotaMetric { kTokens, kCost };
enum class Period { kDay, kMonth, kTotal };

std::string_view quota_scope_name(QuotaScope s);
std::string_view quota_metric_name(QuotaMetric m);
std::string_view period_name(Period p);
std::optional<QuotaScope> parse_quota_scope(std::string_view s);
std::optional<QuotaMetric> parse_quota_metric(std::string_view s);
std::optional<Period> parse_period(std::string_view s);

// Milliseconds at which the period holding `ms` began (UTC); 0 for total.
int64_t period_start(Period p, int64_t ms);
// When the period holding `ms` ends; INT64_MAX for total.
int64_t period_end(Period p, int64_t ms);

struct Quota {
  std::string id;
  QuotaScope scope = QuotaScope::kKey;
  QuotaMetric metric = QuotaMetric::kTokens;
  Period period = Period::kTotal;
  std::string workspace_id;  // workspace scope
  std::string key_id;        // key scope
  std::string user_id;       // user and user+model scopes
  std::string model;         // model and user+model scopes
  double budget = 0;         // tokens, or cost in the price unit
  std::string description;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

Quota quota_from_json(const boost::json::value& body);
void apply_quota_patch(Quota& q, const boost::json::value& body);
void validate_quota(const Quota& q);
boost::json::object to_json(const Quota& q);

}  // namespace hydra::limits
