#include "limits/rule_store.h"

#include <boost/json.hpp>

#include "common/clock.h"
#include "common/json.h"
#include "common/log.h"
#include "common/random.h"

namespace hydra::limits {
namespace {

namespace bj = boost::json;

constexpr const char* kColumns =
    "id, scope, metric, workspace_id, key_id, model, limit_value, window_seconds, description, "
    "created_at, updated_at";

LimitRule row_to_rule(const store::Rows::Row& r) {
  LimitRule out;
  out.id = r.str("id");
  out.scope = parse_scope(r.str("scope")).value_or(Scope::kGlobal);
  out.metric = parse_metric(r.str("metric")).value_or(Metric::kRequests);
  out.workspace_id = r.str("workspace_id");
  out.key_id = r.str("key_id");
  out.model = r.str("model");
  out.limit = r.i64("limit_value");
  out.window_seconds = r.i64("window_seconds");
  out.description = r.str("description");
  out.created_at = r.i64("created_at");
  out.updated_at = r.i64("updated_at");
  return out;
}

int64_t int_field(const bj::object& o, std::string_view k) {
  const bj::value* v = o.if_contains(k);
  return json::count_or_zero(v);
}

}  // namespace

std::vector<LimitRule> list_rules(store::Store& st) {
  std::vector<LimitRule> out;
  for (auto r : st.query(std::string("SELECT ") + kColumns + " FROM limit_rules ORDER BY id")) {
    out.push_back(row_to_rule(r));
  }
  return out;
}

std::optional<LimitRule> find_rule(store::Session& s, const std::string& id) {
  auto rows = s.query(std::string("SELECT ") + kColumns + " FROM limit_rules WHERE id = ?", {id});
  if (rows.empty()) return std::nullopt;
  return row_to_rule(rows[0]);
}

LimitRule insert_rule(store::Session& s, LimitRule r) {
  r.id = new_id();
  r.created_at = r.updated_at = now_ms();
  s.exec(
      std::string("INSERT INTO limit_rules (") + kColumns +
          ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {r.id, std::string(scope_name(r.scope)), std::string(metric_name(r.metric)), r.workspace_id,
       r.key_id, r.model, r.limit, r.window_seconds, r.description, r.created_at, r.updated_at});
  return r;
}

bool update_rule(store::Session& s, LimitRule& r) {
  r.updated_at = now_ms();
  return s.exec(
             "UPDATE limit_rules SET scope = ?, metric = ?, workspace_id = ?, key_id = ?, "
             "model = ?, limit_value = ?, window_seconds = ?, description = ?, updated_at = ? "
             "WHERE id = ?",
             {std::string(scope_name(r.scope)), std::string(metric_name(r.metric)), r.workspace_id,
              r.key_id, r.model, r.limit, r.window_seconds, r.description, r.updated_at, r.id}) > 0;
}

bool delete_rule(store::Session& s, const std::string& id) {
  return s.exec("DELETE FROM limit_rules WHERE id = ?", {id}) > 0;
}

std::vector<LimitRule> maas_model_rules(store::Store& st) {
  std::vector<LimitRule> out;
  auto rows = st.query("SELECT id, rate_limits FROM maas_models WHERE enabled = 1 ORDER BY id");
  for (auto row : rows) {
    std::string id = row.str("id");
    bj::error_code ec;
    bj::value v = bj::parse(row.str("rate_limits"), ec);
    if (ec || !v.is_array()) {
      spdlog::warn("MaaS model {}: rate_limits are not a JSON array; ignored", id);
      continue;
    }
    const auto& arr = v.get_array();
    for (size_t i = 0; i < arr.size(); ++i) {
      if (!arr[i].is_object()) continue;
      const auto& o = arr[i].get_object();
      LimitRule r;
      r.scope = Scope::kModel;
      r.model = "public/" + id;
      const bj::value* m = o.if_contains("metric");
      auto metric = m && m->is_string() ? parse_metric(m->get_string()) : std::nullopt;
      if (!metric) continue;
      r.metric = *metric;
      r.limit = int_field(o, "limit");
      r.window_seconds = r.metric == Metric::kConcurrency ? 0 : int_field(o, "window_seconds");
      // Position, metric and window in the id: an edited rule starts a fresh counter.
      r.id = "maas:" + id + ":" + std::to_string(i) + ":" + std::string(metric_name(r.metric)) +
             ":" + std::to_string(r.window_seconds);
      try {
        validate_rule(r);
      } catch (const std::exception& e) {
        spdlog::warn("MaaS model {}: rate limit {} ignored: {}", id, i, e.what());
        continue;
      }
      out.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace hydra::limits
