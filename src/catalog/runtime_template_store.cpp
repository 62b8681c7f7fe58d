// Runtime templates in the store (declarations in runtime_template.h).
#include "catalog/json_columns.h"
#include "catalog/runtime_template.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/json.h"
#include "common/random.h"

namespace hydra::catalog {
namespace {

constexpr const char* kColumns =
    "id, name, display_en, display_zh, command, args, env, images, executable, created_at, "
    "updated_at";

RuntimeTemplate from_row(const store::Rows::Row& r) {
  RuntimeTemplate t;
  t.id = r.str("id");
  t.name = r.str("name");
  t.display_name = {r.str("display_en"), r.str("display_zh")};
  t.command = r.str("command");
  t.args = read_string_list(r.str("args"));
  t.env = read_string_map(r.str("env"));
  t.images = read_string_map(r.str("images"));
  t.executable = r.str("executable");
  t.created_at = r.i64("created_at");
  t.updated_at = r.i64("updated_at");
  return t;
}

void insert(store::Session& s, RuntimeTemplate& t) {
  if (t.id.empty()) t.id = new_id();
  t.created_at = t.updated_at = now_ms();
  s.exec(
      "INSERT INTO runtime_templates (id, name, display_en, display_zh, command, args, env, "
      "images, executable, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {t.id, t.name, t.display_name.en_us, t.display_name.zh_cn, t.command,
       json::dump(to_json(t.args)), json::dump(to_json(t.env)), json::dump(to_json(t.images)),
       t.executable, t.created_at, t.updated_at});
}

}  // namespace

std::vector<RuntimeTemplate> list_runtime_templates(store::Store& st) {
  std::vector<RuntimeTemplate> out;
  for (auto r :
       st.query(std::string("SELECT ") + kColumns + " FROM runtime_templates ORDER BY name")) {
    out.push_back(from_row(r));
  }
  return out;
}

std::optional<RuntimeTemplate> find_runtime_template(store::Session& s, const std::string& key) {
  auto rows = s.query(std::string("SELECT ") + kColumns +
                          " FROM runtime_templates WHERE id = ? OR name = ? ORDER BY name LIMIT 1",
                      {key, key});
  if (rows.empty()) return std::nullopt;
  return from_row(rows[0]);
}

RuntimeTemplate get_runtime_template(store::Store& st, const std::string& key) {
  std::optional<RuntimeTemplate> t;
  st.transact([&](store::Session& s) { t = find_runtime_template(s, key); });
  if (!t) throw_not_found("runtime template '" + key + "'");
  return *t;
}

RuntimeTemplate create_runtime_template(store::Store& st, RuntimeTemplate t, const Actor& actor) {
  validate_runtime_template(t);
  st.transact([&](store::Session& s) {
    if (!s.query("SELECT id FROM runtime_templates WHERE name = ?", {t.name}).empty()) {
      throw_conflict("runtime template '" + t.name + "' already exists");
    }
    try {
      insert(s, t);
    } catch (const store::UniqueViolation&) {
      throw_conflict("runtime template '" + t.name + "' already exists");
    }
    record_change(s, actor, "CreateRuntimeTemplate", "runtime_template", t.name);
  });
  return t;
}

RuntimeTemplate update_runtime_template(store::Store& st, const std::string& key,
                                        const bj::value& patch, const Actor& actor) {
  RuntimeTemplate t;
  st.transact([&](store::Session& s) {
    auto found = find_runtime_template(s, key);
    if (!found) throw_not_found("runtime template '" + key + "'");
    t = std::move(*found);
    apply_runtime_template_patch(t, patch);
    t.updated_at = now_ms();
    s.exec(
        "UPDATE runtime_templates SET display_en = ?, display_zh = ?, command = ?, args = ?, "
        "env = ?, images = ?, executable = ?, updated_at = ? WHERE id = ?",
        {t.display_name.en_us, t.display_name.zh_cn, t.command, json::dump(to_json(t.args)),
         json::dump(to_json(t.env)), json::dump(to_json(t.images)), t.executable, t.updated_at,
         t.id});
    record_change(s, actor, "UpdateRuntimeTemplate", "runtime_template", t.name);
  });
  return t;
}

void delete_runtime_template(store::Store& st, const std::string& key, const Actor& actor) {
  st.transact([&](store::Session& s) {
    auto found = find_runtime_template(s, key);
    if (!found) throw_not_found("runtime template '" + key + "'");
    int64_t used = s.query("SELECT COUNT(*) AS n FROM deployment_templates WHERE runtime = ?",
                           {found->name})[0]
                       .i64("n");
    if (used > 0) {
      throw_conflict("runtime template '" + found->name + "' is used by " + std::to_string(used) +
                     " deployment template(s)");
    }
    s.exec("DELETE FROM runtime_templates WHERE id = ?", {found->id});
    record_change(s, actor, "DeleteRuntimeTemplate", "runtime_template", found->name);
  });
}

int seed_runtime_templates(store::Store& st) {
  int added = 0;
  for (auto t : builtin_runtime_templates()) {
    st.transact([&](store::Session& s) {
      if (!s.query("SELECT id FROM runtime_templates WHERE name = ?", {t.name}).empty()) return;
      insert(s, t);
      ++added;
    });
  }
  return added;
}

}  // namespace hydra::catalog
