#include "catalog/provider.h"

#include "catalog/names.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/json.h"

namespace hydra::catalog {
namespace {

constexpr const char* kColumns = "id, name_en, name_zh, icon, created_at, updated_at";

Provider from_row(const store::Rows::Row& r) {
  Provider p;
  p.id = r.str("id");
  p.name.en_us = r.str("name_en");
  p.name.zh_cn = r.str("name_zh");
  p.icon = r.str("icon");
  p.created_at = r.i64("created_at");
  p.updated_at = r.i64("updated_at");
  return p;
}

}  // namespace

boost::json::object to_json(const Provider& p) {
  return {{"id", p.id},
          {"name", to_json(p.name)},
          {"icon", p.icon},
          {"created_at", p.created_at},
          {"updated_at", p.updated_at}};
}

void validate_provider(const Provider& p) {
  check_provider_id(p.id);
  if (p.name.en_us.empty() && p.name.zh_cn.empty()) {
    throw_param("'name' needs at least one of enUS or zhCN", "name");
  }
  if (p.name.en_us.size() > 256 || p.name.zh_cn.size() > 256)
    throw_param("'name' is too long", "name");
  if (p.icon.size() > 4096) throw_param("'icon' is too long", "icon");
}

Provider provider_from_json(const boost::json::value& body) {
  json::Fields f(body);
  Provider p;
  p.id = f.str("id");
  if (auto* n = f.opt_value("name")) p.name = decode_localized(*n, "name");
  p.icon = f.opt_str("icon").value_or("");
  f.done();
  if (p.name.en_us.empty() && p.name.zh_cn.empty()) p.name.en_us = p.id;
  validate_provider(p);
  return p;
}

void apply_provider_patch(Provider& p, const boost::json::value& body) {
  json::Fields f(body);
  if (auto id = f.opt_str("id"); id && *id != p.id) throw_param("'id' cannot be changed", "id");
  if (auto* n = f.opt_value("name")) p.name = decode_localized(*n, "name");
  if (auto icon = f.opt_str("icon")) p.icon = *icon;
  f.done();
  validate_provider(p);
}

std::vector<Provider> list_providers(store::Store& st) {
  std::vector<Provider> out;
  for (auto r : st.query(std::string("SELECT ") + kColumns + " FROM providers ORDER BY id")) {
    out.push_back(from_row(r));
  }
  return out;
}

std::optional<Provider> find_provider(store::Session& s, const std::string& id) {
  auto rows = s.query(std::string("SELECT ") + kColumns + " FROM providers WHERE id = ?", {id});
  if (rows.empty()) return std::nullopt;
  return from_row(rows[0]);
}

Provider get_provider(store::Store& st, const std::string& id) {
  auto rows = st.query(std::string("SELECT ") + kColumns + " FROM providers WHERE id = ?", {id});
  if (rows.empty()) throw_not_found("provider '" + id + "'");
  return from_row(rows[0]);
}

void insert_provider(store::Session& s, Provider& p) {
  p.created_at = p.updated_at = now_ms();
  try {
    s.exec(
        "INSERT INTO providers (id, name_en, name_zh, icon, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        {p.id, p.name.en_us, p.name.zh_cn, p.icon, p.created_at, p.updated_at});
  } catch (const store::UniqueViolation&) {
    throw_conflict("provider '" + p.id + "' already exists");
  }
}

Provider create_provider(store::Store& st, Provider p, const Actor& actor) {
  validate_provider(p);
  st.transact([&](store::Session& s) {
    insert_provider(s, p);
    record_change(s, actor, "CreateModelProvider", "provider", p.id);
  });
  return p;
}

Provider update_provider(store::Store& st, const std::string& id, const boost::json::value& patch,
                         const Actor& actor) {
  Provider p;
  st.transact([&](store::Session& s) {
    auto found = find_provider(s, id);
    if (!found) throw_not_found("provider '" + id + "'");
    p = *found;
    apply_provider_patch(p, patch);
    p.updated_at = now_ms();
    s.exec("UPDATE providers SET name_en = ?, name_zh = ?, icon = ?, updated_at = ? WHERE id = ?",
           {p.name.en_us, p.name.zh_cn, p.icon, p.updated_at, p.id});
    record_change(s, actor, "UpdateModelProvider", "provider", p.id);
  });
  return p;
}

void delete_provider(store::Store& st, const std::string& id, const Actor& actor) {
  st.transact([&](store::Session& s) {
    if (!find_provider(s, id)) throw_not_found("provider '" + id + "'");
    int64_t used =
        s.query("SELECT COUNT(*) AS n FROM models WHERE provider_id = ?", {id})[0].i64("n");
    if (used > 0) {
      throw_conflict("provider '" + id + "' still has " + std::to_string(used) +
                     " model(s); delete or move them first");
    }
    s.exec("DELETE FROM providers WHERE id = ?", {id});
    record_change(s, actor, "DeleteModelProvider", "provider", id);
  });
}

}  // namespace hydra::catalog
