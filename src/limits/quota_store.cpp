#include "limits/quota_store.h"

#include <algorithm>
#include <climits>
#include <map>

#include "common/clock.h"
#include "common/random.h"

namespace hydra::limits {
namespace {

constexpr const char* kColumns =
    "id, scope, metric, period, workspace_id, key_id, user_id, model, budget, description, "
    "created_at, updated_at";

Quota row_to_quota(const store::Rows::Row& r) {
  Quota q;
  q.id = r.str("id");
  q.scope = parse_quota_scope(r.str("scope")).value_or(QuotaScope::kKey);
  q.metric = parse_quota_metric(r.str("metric")).value_or(QuotaMetric::kTokens);
  q.period = parse_period(r.str("period")).value_or(Period::kTotal);
  q.workspace_id = r.str("workspace_id");
  q.key_id = r.str("key_id");
  q.user_id = r.str("user_id");
  q.model = r.str("model");
  q.budget = r.f64("budget");
  q.description = r.str("description");
  q.created_at = r.i64("created_at");
  q.updated_at = r.i64("updated_at");
  return q;
}

QuotaUsage row_to_usage(const store::Rows::Row& r) {
  return QuotaUsage{r.str("quota_id"), r.str("subject"), r.i64("period_start"), r.i64("tokens"),
                    r.f64("cost")};
}

}  // namespace

std::vector<Quota> list_quotas(store::Store& st) {
  std::vector<Quota> out;
  for (auto r : st.query(std::string("SELECT ") + kColumns + " FROM quotas ORDER BY id")) {
    out.push_back(row_to_quota(r));
  }
  return out;
}

std::optional<Quota> find_quota(store::Session& s, const std::string& id) {
  auto rows = s.query(std::string("SELECT ") + kColumns + " FROM quotas WHERE id = ?", {id});
  if (rows.empty()) return std::nullopt;
  return row_to_quota(rows[0]);
}

Quota insert_quota(store::Session& s, Quota q) {
  q.id = new_id();
  q.created_at = q.updated_at = now_ms();
  s.exec(std::string("INSERT INTO quotas (") + kColumns +
             ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
         {q.id, std::string(quota_scope_name(q.scope)), std::string(quota_metric_name(q.metric)),
          std::string(period_name(q.period)), q.workspace_id, q.key_id, q.user_id, q.model,
          q.budget, q.description, q.created_at, q.updated_at});
  return q;
}

bool update_quota(store::Session& s, Quota& q) {
  q.updated_at = now_ms();
  return s.exec(
             "UPDATE quotas SET scope = ?, metric = ?, period = ?, workspace_id = ?, key_id = ?, "
             "user_id = ?, model = ?, budget = ?, description = ?, updated_at = ? WHERE id = ?",
             {std::string(quota_scope_name(q.scope)), std::string(quota_metric_name(q.metric)),
              std::string(period_name(q.period)), q.workspace_id, q.key_id, q.user_id, q.model,
              q.budget, q.description, q.updated_at, q.id}) > 0;
}

bool delete_quota(store::Session& s, const std::string& id) {
  s.exec("DELETE FROM quota_usage WHERE quota_id = ?", {id});
  return s.exec("DELETE FROM quotas WHERE id = ?", {id}) > 0;
}

void add_quota_usage(store::Session& s, const QuotaUsage& d) {
  s.exec(
      "INSERT INTO quota_usage (quota_id, subject, period_start, tokens, cost) "
      "VALUES (?, ?, ?, ?, ?) ON CONFLICT (quota_id, subject, period_start) DO UPDATE SET "
      "tokens = quota_usage.tokens + excluded.tokens, cost = quota_usage.cost + excluded.cost",
      {d.quota_id, d.subject, d.period_start, d.tokens, d.cost});
}

std::vector<QuotaUsage> current_quota_usage(store::Store& st, const std::vector<Quota>& quotas,
                                            int64_t now) {
  std::map<std::string, int64_t> start_of;
  for (const auto& q : quotas) start_of[q.id] = period_start(q.period, now);
  std::vector<QuotaUsage> out;
  if (start_of.empty()) return out;
  int64_t oldest = INT64_MAX;
  for (const auto& [id, start] : start_of) oldest = std::min(oldest, start);
  for (auto r :
       st.query("SELECT quota_id, subject, period_start, tokens, cost FROM quota_usage WHERE "
                "period_start >= ?",
                {oldest})) {
    auto it = start_of.find(r.str("quota_id"));
    if (it == start_of.end() || r.i64("period_start") != it->second) continue;
    out.push_back(row_to_usage(r));
  }
  return out;
}

std::vector<QuotaUsage> quota_usage_of(store::Store& st, const std::string& quota_id,
                                       int64_t period_start) {
  std::vector<QuotaUsage> out;
  for (auto r :
       st.query("SELECT quota_id, subject, period_start, tokens, cost FROM quota_usage WHERE "
                "quota_id = ? AND period_start = ? ORDER BY subject",
                {quota_id, period_start})) {
    out.push_back(row_to_usage(r));
  }
  return out;
}

}  // namespace hydra::limits
