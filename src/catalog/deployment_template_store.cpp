// Deployment templates in the store (declarations in deployment_template.h).
#include "catalog/deployment_template.h"
#include "catalog/json_columns.h"
#include "catalog/model_store.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/json.h"
#include "common/random.h"

namespace hydra::catalog {
namespace {

constexpr const char* kColumns =
    "id, model_id, name, resources, runtime, runtime_version, max_model_len, custom_args, env, "
    "distributed, created_at, updated_at";

int64_t int_of(const bj::object& o, std::string_view key, int64_t fallback) {
  auto* v = o.if_contains(key);
  if (!v) return fallback;
  if (v->is_int64()) return v->get_int64();
  if (v->is_double()) return static_cast<int64_t>(v->get_double());
  return fallback;
}

double num_of(const bj::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v) return 0;
  if (v->is_double()) return v->get_double();
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  return 0;
}

DeploymentTemplate from_row(const store::Rows::Row& r) {
  DeploymentTemplate t;
  t.id = r.str("id");
  t.model_id = r.str("model_id");
  t.name = r.str("name");
  bj::object res = read_object(r.str("resources"));
  t.resources.cpu = num_of(res, "cpu");
  t.resources.memory = num_of(res, "memory");
  if (auto* g = res.if_contains("gpuType"); g && g->is_string())
    t.resources.gpu_type = g->get_string();
  t.resources.gpu_count = int_of(res, "gpuCount", 0);
  t.resources.per_gpu_memory_gb = num_of(res, "perGPUMemoryGB");
  t.runtime = r.str("runtime");
  t.runtime_version = r.str("runtime_version");
  t.max_model_len = r.i64("max_model_len");
  t.custom_args = read_string_list(r.str("custom_args"));
  t.env = read_string_map(r.str("env"));
  bj::object d = read_object(r.str("distributed"));
  t.distributed = {int_of(d, "tp", 1), int_of(d, "pp", 1), int_of(d, "nodes", 1)};
  t.created_at = r.i64("created_at");
  t.updated_at = r.i64("updated_at");
  return t;
}

std::string resources_text(const Resources& r) {
  return json::dump(bj::object{{"cpu", r.cpu},
                               {"memory", r.memory},
                               {"gpuType", r.gpu_type},
                               {"gpuCount", r.gpu_count},
                               {"perGPUMemoryGB", r.per_gpu_memory_gb}});
}

std::string distributed_text(const Distributed& d) {
  return json::dump(bj::object{{"tp", d.tp}, {"pp", d.pp}, {"nodes", d.nodes}});
}

void check_runtime_exists(store::Session& s, const std::string& runtime) {
  if (s.query("SELECT id FROM runtime_templates WHERE name = ?", {runtime}).empty()) {
    throw_param("runtime '" + runtime + "' has no runtime template; create it first", "runtime");
  }
}

void check_name_free(store::Session& s, const DeploymentTemplate& t) {
  auto rows = s.query("SELECT id FROM deployment_templates WHERE model_id = ? AND name = ?",
                      {t.model_id, t.name});
  if (!rows.empty() && rows[0].str("id") != t.id) {
    throw_conflict("model '" + t.model_id + "' already has a deployment template named '" + t.name +
                   "'");
  }
}

}  // namespace

std::vector<DeploymentTemplate> list_deployment_templates(store::Store& st,
                                                          const std::string& model_id) {
  std::string sql = std::string("SELECT ") + kColumns + " FROM deployment_templates";
  store::Params params;
  if (!model_id.empty()) {
    sql += " WHERE model_id = ?";
    params.emplace_back(model_id);
  }
  sql += " ORDER BY model_id, name";
  std::vector<DeploymentTemplate> out;
  for (auto r : st.query(sql, params)) out.push_back(from_row(r));
  return out;
}

std::optional<DeploymentTemplate> find_deployment_template(store::Session& s,
                                                           const std::string& id) {
  auto rows =
      s.query(std::string("SELECT ") + kColumns + " FROM deployment_templates WHERE id = ?", {id});
  if (rows.empty()) return std::nullopt;
  return from_row(rows[0]);
}

DeploymentTemplate get_deployment_template(store::Store& st, const std::string& id) {
  std::optional<DeploymentTemplate> t;
  st.transact([&](store::Session& s) { t = find_deployment_template(s, id); });
  if (!t) throw_not_found("deployment template '" + id + "'");
  return *t;
}

void insert_deployment_template(store::Session& s, DeploymentTemplate& t, bool require_runtime) {
  if (!model_exists(s, t.model_id))
    throw_param("model '" + t.model_id + "' does not exist", "model_id");
  if (require_runtime) check_runtime_exists(s, t.runtime);
  if (t.id.empty()) t.id = new_id();
  check_name_free(s, t);
  t.created_at = t.updated_at = now_ms();
  try {
    s.exec(
        "INSERT INTO deployment_templates (id, model_id, name, resources, runtime, "
        "runtime_version, max_model_len, custom_args, env, distributed, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {t.id, t.model_id, t.name, resources_text(t.resources), t.runtime, t.runtime_version,
         t.max_model_len, json::dump(to_json(t.custom_args)), json::dump(to_json(t.env)),
         distributed_text(t.distributed), t.created_at, t.updated_at});
  } catch (const store::UniqueViolation&) {
    throw_conflict("deployment template '" + t.name + "' already exists for model '" + t.model_id +
                   "'");
  }
}

DeploymentTemplate create_deployment_template(store::Store& st, DeploymentTemplate t,
                                              const Actor& actor) {
  validate_deployment_template(t);
  st.transact([&](store::Session& s) {
    insert_deployment_template(s, t, true);
    record_change(s, actor, "AddDeployTemplates", "deployment_template", t.id,
                  "model=" + t.model_id + " name=" + t.name);
  });
  return t;
}

DeploymentTemplate update_deployment_template(store::Store& st, const std::string& id,
                                              const bj::value& patch, const Actor& actor) {
  DeploymentTemplate t;
  st.transact([&](store::Session& s) {
    auto found = find_deployment_template(s, id);
    if (!found) throw_not_found("deployment template '" + id + "'");
    t = std::move(*found);
    std::string old_runtime = t.runtime;
    apply_deployment_template_patch(t, patch);
    // An imported template may name a runtime added later; only a change must exist.
    if (t.runtime != old_runtime) check_runtime_exists(s, t.runtime);
    check_name_free(s, t);
    t.updated_at = now_ms();
    s.exec(
        "UPDATE deployment_templates SET name = ?, resources = ?, runtime = ?, "
        "runtime_version = ?, max_model_len = ?, custom_args = ?, env = ?, distributed = ?, "
        "updated_at = ? WHERE id = ?",
        {t.name, resources_text(t.resources), t.runtime, t.runtime_version, t.max_model_len,
         json::dump(to_json(t.custom_args)), json::dump(to_json(t.env)),
         distributed_text(t.distributed), t.updated_at, t.id});
    record_change(s, actor, "UpdateDeployTemplates", "deployment_template", t.id,
                  "model=" + t.model_id + " name=" + t.name);
  });
  return t;
}

void delete_deployment_template(store::Store& st, const std::string& id, const Actor& actor) {
  st.transact([&](store::Session& s) {
    auto found = find_deployment_template(s, id);
    if (!found) throw_not_found("deployment template '" + id + "'");
    s.exec("DELETE FROM deployment_templates WHERE id = ?", {id});
    record_change(s, actor, "DeleteDeployTemplates", "deployment_template", id,
                  "model=" + found->model_id + " name=" + found->name);
  });
}

}  // namespace hydra::catalog
