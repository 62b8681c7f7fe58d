// MaaS models in the store (declarations in maas_model.h).
#include "catalog/json_columns.h"
#include "catalog/maas_model.h"
#include "catalog/model_store.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/json.h"

namespace hydra::catalog {
namespace {

constexpr const char* kColumns =
    "id, model_id, display_name, endpoints, lb_policy, rate_limits, enabled, entry_cluster, "
    "created_at, updated_at";

std::string str_of(const bj::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

int64_t int_of(const bj::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_int64() ? v->get_int64() : 0;
}

MaasModel from_row(const store::Rows::Row& r) {
  MaasModel m;
  m.id = r.str("id");
  m.model_id = r.str("model_id");
  m.display_name = r.str("display_name");
  for (const auto& v : read_array(r.str("endpoints"))) {
    if (!v.is_object()) continue;
    const auto& o = v.get_object();
    MaasEndpoint e;
    e.base_url = str_of(o, "base_url");
    e.model = str_of(o, "model");
    e.weight = int_of(o, "weight");
    const bj::value* cu = o.if_contains("continuous_usage");
    e.continuous_usage = cu && cu->is_bool() && cu->get_bool();
    e.sealed_key = str_of(o, "api_key");
    e.masked_key = str_of(o, "api_key_masked");
    m.endpoints.push_back(std::move(e));
  }
  m.lb_policy = r.str("lb_policy");
  for (const auto& v : read_array(r.str("rate_limits"))) {
    if (!v.is_object()) continue;
    const auto& o = v.get_object();
    m.rate_limits.push_back({str_of(o, "metric"), int_of(o, "limit"), int_of(o, "window_seconds")});
  }
  m.enabled = r.boolean("enabled");
  m.entry_cluster = r.str("entry_cluster");
  m.created_at = r.i64("created_at");
  m.updated_at = r.i64("updated_at");
  return m;
}

// Seals new keys; endpoints sent without a key keep the stored one that
// has the same base_url and model, so an edit need not repeat secrets.
void seal_keys(MaasModel& m, const std::vector<MaasEndpoint>& before, const SecretBox& box) {
  for (auto& e : m.endpoints) {
    if (e.api_key) {
      e.sealed_key = e.api_key->empty() ? "" : box.seal(*e.api_key);
      e.masked_key = e.api_key->empty() ? "" : mask_secret(*e.api_key);
      e.api_key.reset();
      continue;
    }
    if (!e.sealed_key.empty()) continue;
    for (const auto& old : before) {
      if (old.base_url == e.base_url && old.model == e.model) {
        e.sealed_key = old.sealed_key;
        e.masked_key = old.masked_key;
        break;
      }
    }
  }
}

std::string endpoints_text(const MaasModel& m) {
  bj::array a;
  for (const auto& e : m.endpoints) {
    a.push_back(bj::object{{"base_url", e.base_url},
                           {"model", e.model},
                           {"weight", e.weight},
                           {"continuous_usage", e.continuous_usage},
                           {"api_key", e.sealed_key},
                           {"api_key_masked", e.masked_key}});
  }
  return json::dump(a);
}

std::string rate_limits_text(const MaasModel& m) {
  bj::array a;
  for (const auto& r : m.rate_limits) {
    a.push_back(
        bj::object{{"metric", r.metric}, {"limit", r.limit}, {"window_seconds", r.window_seconds}});
  }
  return json::dump(a);
}

void check_model_ref(store::Session& s, const MaasModel& m) {
  if (!m.model_id.empty() && !model_exists(s, m.model_id)) {
    throw_param("model '" + m.model_id + "' does not exist in the catalog", "model_id");
  }
}

}  // namespace

std::vector<MaasModel> list_maas_models(store::Store& st) {
  std::vector<MaasModel> out;
  for (auto r : st.query(std::string("SELECT ") + kColumns + " FROM maas_models ORDER BY id")) {
    out.push_back(from_row(r));
  }
  return out;
}

std::optional<MaasModel> find_maas_model(store::Session& s, const std::string& id) {
  auto rows = s.query(std::string("SELECT ") + kColumns + " FROM maas_models WHERE id = ?", {id});
  if (rows.empty()) return std::nullopt;
  return from_row(rows[0]);
}

MaasModel get_maas_model(store::Store& st, const std::string& id) {
  auto rows = st.query(std::string("SELECT ") + kColumns + " FROM maas_models WHERE id = ?", {id});
  if (rows.empty()) throw_not_found("MaaS model '" + id + "'");
  return from_row(rows[0]);
}

MaasModel create_maas_model(store::Store& st, MaasModel m, const SecretBox& box,
                            const Actor& actor) {
  validate_maas_model(m);
  seal_keys(m, {}, box);
  st.transact([&](store::Session& s) {
    if (find_maas_model(s, m.id)) throw_conflict("MaaS model '" + m.id + "' already exists");
    check_model_ref(s, m);
    m.created_at = m.updated_at = now_ms();
    try {
      s.exec(
          "INSERT INTO maas_models (id, model_id, display_name, endpoints, lb_policy, "
          "rate_limits, enabled, entry_cluster, created_at, updated_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {m.id, m.model_id, m.display_name, endpoints_text(m), m.lb_policy, rate_limits_text(m),
           int64_t{m.enabled ? 1 : 0}, m.entry_cluster, m.created_at, m.updated_at});
    } catch (const store::UniqueViolation&) {
      throw_conflict("MaaS model '" + m.id + "' already exists");
    }
    record_change(s, actor, "CreateMAASModel", "maas_model", m.id);
  });
  return m;
}

MaasModel update_maas_model(store::Store& st, const std::string& id, const bj::value& patch,
                            const SecretBox& box, const Actor& actor) {
  MaasModel m;
  st.transact([&](store::Session& s) {
    auto found = find_maas_model(s, id);
    if (!found) throw_not_found("MaaS model '" + id + "'");
    m = *found;
    bool was_enabled = m.enabled;
    apply_maas_patch(m, patch);
    seal_keys(m, found->endpoints, box);
    check_model_ref(s, m);
    m.updated_at = now_ms();
    s.exec(
        "UPDATE maas_models SET model_id = ?, display_name = ?, endpoints = ?, lb_policy = ?, "
        "rate_limits = ?, enabled = ?, entry_cluster = ?, updated_at = ? WHERE id = ?",
        {m.model_id, m.display_name, endpoints_text(m), m.lb_policy, rate_limits_text(m),
         int64_t{m.enabled ? 1 : 0}, m.entry_cluster, m.updated_at, m.id});
    record_change(s, actor, "UpdateMAASModel", "maas_model", m.id);
    if (m.enabled != was_enabled) {
      record_change(s, actor, "EnabledMAASModel", "maas_model", m.id,
                    m.enabled ? "enabled=true" : "enabled=false");
    }
  });
  return m;
}

void delete_maas_model(store::Store& st, const std::string& id, const Actor& actor) {
  st.transact([&](store::Session& s) {
    if (s.exec("DELETE FROM maas_models WHERE id = ?", {id}) == 0) {
      throw_not_found("MaaS model '" + id + "'");
    }
    record_change(s, actor, "DeleteMAASModel", "maas_model", id);
  });
}

MaasModel set_maas_enabled(store::Store& st, const std::string& id, bool enabled,
                           const Actor& actor) {
  MaasModel m;
  st.transact([&](store::Session& s) {
    if (s.exec("UPDATE maas_models SET enabled = ?, updated_at = ? WHERE id = ?",
               {int64_t{enabled ? 1 : 0}, now_ms(), id}) == 0) {
      throw_not_found("MaaS model '" + id + "'");
    }
    record_change(s, actor, "EnabledMAASModel", "maas_model", id,
                  enabled ? "enabled=true" : "enabled=false");
    m = *find_maas_model(s, id);
  });
  return m;
}

}  // namespace hydra::catalog
