#include <boost/json.hpp>

#include "auth/workspaces.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/random.h"
#include "common/strings.h"
#include "deploy/deployment.h"

namespace hydra::deploy {
namespace {

namespace bj = boost::json;

constexpr const char* kColumns =
    "id, workspace_id, name, access_name, service_id, model_id, template_id, runtime, "
    "model_path, served_model_name, replicas, cluster, namespace, desired, state, reason, "
    "generation, custom_args, env, cpu, memory, created_by, created_at, updated_at";

std::string args_text(const std::vector<std::string>& v) {
  bj::array a;
  for (const auto& s : v) a.emplace_back(s);
  return bj::serialize(a);
}

std::string env_text(const std::map<std::string, std::string>& m) {
  bj::object o;
  for (const auto& [k, v] : m) o[k] = v;
  return bj::serialize(o);
}

Deployment from_row(const store::Rows::Row& r) {
  Deployment d;
  d.id = r.str("id");
  d.workspace_id = r.str("workspace_id");
  d.name = r.str("name");
  d.access_name = r.str("access_name");
  d.service_id = r.str("service_id");
  d.model_id = r.str("model_id");
  d.template_id = r.str("template_id");
  d.runtime = r.str("runtime");
  d.model_path = r.str("model_path");
  d.served_model_name = r.str("served_model_name");
  d.replicas = r.i64("replicas");
  d.cluster = r.str("cluster");
  d.name_space = r.str("namespace");
  d.desired = r.str("desired");
  d.state = r.str("state");
  d.reason = r.str("reason");
  d.generation = r.i64("generation");
  // Columns written by this module only: parse failures would be store corruption.
  // The parsed values are named: a range-for over a member of a temporary would dangle.
  bj::value args = bj::parse(r.str("custom_args"));
  for (const auto& a : args.as_array()) d.custom_args.emplace_back(a.as_string());
  bj::value env = bj::parse(r.str("env"));
  for (const auto& kv : env.as_object()) {
    d.env[std::string(kv.key())] = std::string(kv.value().as_string());
  }
  d.cpu = r.f64("cpu");
  d.memory = r.f64("memory");
  d.created_by = r.str("created_by");
  d.created_at = r.i64("created_at");
  d.updated_at = r.i64("updated_at");
  return d;
}

Replica replica_from_row(const store::Rows::Row& r) {
  Replica x;
  x.deployment_id = r.str("deployment_id");
  x.index = r.i64("idx");
  x.state = r.str("state");
  x.reason = r.str("reason");
  x.pid = r.i64("pid");
  x.port = r.i64("port");
  x.endpoint = r.str("endpoint");
  x.start_token = r.str("start_token");
  x.restarts = r.i64("restarts");
  x.log_path = r.str("log_path");
  x.generation = r.i64("generation");
  x.ready = r.boolean("ready");
  x.started_at = r.i64("started_at");
  x.updated_at = r.i64("updated_at");
  return x;
}

void insert_event(store::Session& s, const std::string& dep, const std::string& type,
                  const std::string& reason, const std::string& message) {
  s.exec(
      "INSERT INTO deployment_events (id, deployment_id, time, type, reason, message) "
      "VALUES (?, ?, ?, ?, ?, ?)",
      {new_id(), dep, now_ms(), type, reason, message});
}

}  // namespace

void check_deployment_name(const std::string& name) {
  if (!valid_resource_name(name)) {
    throw_param(
        "name must be 2-64 characters of a-z, 0-9 and '-', starting and ending with a letter or "
        "digit",
        "name");
  }
}

void insert_deployment(store::Session& s, Deployment& d) {
  check_deployment_name(d.name);
  auto ws = auth::find_workspace(s, d.workspace_id);
  if (!ws) throw ApiError(ErrorCode::kNotFound, "workspace not found", "workspace_id");
  if (d.id.empty()) d.id = new_id();
  d.access_name = ws->slug + "/" + d.name;
  if (d.service_id.empty()) d.service_id = "svc-" + random_hex(8);
  d.created_at = d.updated_at = now_ms();
  if (!s.query("SELECT id FROM deployments WHERE workspace_id = ? AND name = ?",
               {d.workspace_id, d.name})
           .empty()) {
    throw_conflict("a deployment named '" + d.name + "' exists in this workspace");
  }
  try {
    s.exec(std::string("INSERT INTO deployments (") + kColumns +
               ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
           {d.id,
            d.workspace_id,
            d.name,
            d.access_name,
            d.service_id,
            d.model_id,
            d.template_id,
            d.runtime,
            d.model_path,
            d.served_model_name,
            d.replicas,
            d.cluster,
            d.name_space,
            d.desired,
            d.state,
            d.reason,
            d.generation,
            args_text(d.custom_args),
            env_text(d.env),
            d.cpu,
            d.memory,
            d.created_by,
            d.created_at,
            d.updated_at});
  } catch (const store::UniqueViolation&) {
    throw_conflict("a deployment named '" + d.name + "' exists in this workspace");
  }
  insert_event(s, d.id, "Normal", "Created",
               "deployment created with " + std::to_string(d.replicas) + " replica(s)");
}

std::optional<Deployment> find_deployment(store::Session& s, const std::string& id) {
  auto rows = s.query(std::string("SELECT ") + kColumns + " FROM deployments WHERE id = ?", {id});
  if (rows.empty()) return std::nullopt;
  return from_row(rows[0]);
}

std::optional<Deployment> find_deployment(store::Store& st, const std::string& id) {
  auto rows = st.query(std::string("SELECT ") + kColumns + " FROM deployments WHERE id = ?", {id});
  if (rows.empty()) return std::nullopt;
  return from_row(rows[0]);
}

std::optional<Deployment> find_deployment_by_name(store::Store& st, const std::string& workspace_id,
                                                  const std::string& name) {
  auto rows = st.query(
      std::string("SELECT ") + kColumns + " FROM deployments WHERE workspace_id = ? AND name = ?",
      {workspace_id, name});
  if (rows.empty()) return std::nullopt;
  return from_row(rows[0]);
}

DeploymentPage list_deployments(store::Store& st, const DeploymentQuery& q) {
  std::string where = " WHERE 1 = 1";
  store::Params params;
  if (!q.workspace_id.empty()) {
    where += " AND workspace_id = ?";
    params.emplace_back(q.workspace_id);
  }
  if (!q.cluster.empty()) {
    where += " AND cluster = ?";
    params.emplace_back(q.cluster);
  }
  if (!q.include_deleted) {
    where += " AND desired <> ?";
    params.emplace_back(std::string(desired::kDeleted));
  }
  DeploymentPage page;
  page.total = st.query("SELECT COUNT(*) AS n FROM deployments" + where, params)[0].i64("n");
  params.emplace_back(q.limit);
  params.emplace_back(q.offset);
  auto rows = st.query(std::string("SELECT ") + kColumns + " FROM deployments" + where +
                           " ORDER BY created_at, id LIMIT ? OFFSET ?",
                       params);
  for (const auto& r : rows) page.items.push_back(from_row(r));
  return page;
}

void set_replica_count(store::Session& s, const std::string& id, int64_t replicas) {
  s.exec("UPDATE deployments SET replicas = ?, updated_at = ? WHERE id = ?",
         {replicas, now_ms(), id});
  insert_event(s, id, "Normal", "Scaled", "replicas set to " + std::to_string(replicas));
}

void set_desired(store::Session& s, const std::string& id, const std::string& want,
                 bool bump_generation) {
  s.exec(
      "UPDATE deployments SET desired = ?, generation = generation + ?, updated_at = ? WHERE id = "
      "?",
      {want, int64_t{bump_generation ? 1 : 0}, now_ms(), id});
  if (want == desired::kDeleted) {
    s.exec("UPDATE deployments SET state = ?, reason = ? WHERE id = ?",
           {std::string(state::kDeleting), std::string("deleted by its owner"), id});
  }
  std::string what = bump_generation ? "restart requested" : "desired state set to " + want;
  insert_event(s, id, "Normal", "Action", what);
}

std::vector<Replica> list_replicas(store::Store& st, const std::string& deployment_id) {
  std::vector<Replica> out;
  for (const auto& r :
       st.query("SELECT * FROM deployment_replicas WHERE deployment_id = ? ORDER BY idx",
                {deployment_id})) {
    out.push_back(replica_from_row(r));
  }
  return out;
}

void save_replica(store::Store& st, const Replica& r) {
  st.exec(
      "INSERT INTO deployment_replicas (deployment_id, idx, state, reason, pid, port, endpoint, "
      "start_token, restarts, log_path, generation, ready, started_at, updated_at) VALUES (?, ?, "
      "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (deployment_id, idx) DO UPDATE SET state = "
      "excluded.state, reason = excluded.reason, pid = excluded.pid, port = excluded.port, "
      "endpoint = excluded.endpoint, start_token = excluded.start_token, restarts = "
      "excluded.restarts, log_path = excluded.log_path, generation = excluded.generation, ready = "
      "excluded.ready, started_at = excluded.started_at, updated_at = excluded.updated_at",
      {r.deployment_id, r.index, r.state, r.reason, r.pid, r.port, r.endpoint, r.start_token,
       r.restarts, r.log_path, r.generation, int64_t{r.ready ? 1 : 0}, r.started_at, now_ms()});
}

void delete_replica(store::Store& st, const std::string& deployment_id, int64_t index) {
  st.exec("DELETE FROM deployment_replicas WHERE deployment_id = ? AND idx = ?",
          {deployment_id, index});
}

void set_deployment_state(store::Store& st, const std::string& id, const std::string& s,
                          const std::string& reason) {
  st.exec("UPDATE deployments SET state = ?, reason = ? WHERE id = ? AND desired <> ?",
          {s, reason, id, std::string(desired::kDeleted)});
}

void add_event(store::Store& st, const std::string& deployment_id, const std::string& type,
               const std::string& reason, const std::string& message) {
  st.transact([&](store::Session& s) { insert_event(s, deployment_id, type, reason, message); });
}

std::vector<Event> list_events(store::Store& st, const std::string& deployment_id, int64_t limit) {
  std::vector<Event> out;
  auto rows = st.query(
      "SELECT * FROM deployment_events WHERE deployment_id = ? ORDER BY time DESC, id LIMIT ?",
      {deployment_id, limit});
  for (const auto& r : rows) {
    out.push_back(Event{r.str("id"), r.str("deployment_id"), r.i64("time"), r.str("type"),
                        r.str("reason"), r.str("message")});
  }
  std::reverse(out.begin(), out.end());
  return out;
}

void purge_deployment(store::Store& st, const std::string& id) {
  st.transact([&](store::Session& s) {
    s.exec("DELETE FROM deployment_replicas WHERE deployment_id = ?", {id});
    s.exec("DELETE FROM deployment_events WHERE deployment_id = ?", {id});
    s.exec("DELETE FROM deployments WHERE id = ? AND desired = ?",
           {id, std::string(desired::kDeleted)});
  });
}

std::vector<DeploymentRoute> list_deployment_routes(store::Store& st) {
  std::vector<DeploymentRoute> out;
  auto rows = st.query(
      "SELECT d.id, d.access_name, d.workspace_id, d.served_model_name, d.created_at, r.endpoint, "
      "r.ready FROM deployments d LEFT JOIN deployment_replicas r ON r.deployment_id = d.id AND "
      "r.ready = 1 WHERE d.desired <> ? ORDER BY d.access_name, r.idx",
      {std::string(desired::kDeleted)});
  std::string last;
  for (const auto& r : rows) {
    if (out.empty() || r.str("id") != last) {
      last = r.str("id");
      out.push_back(DeploymentRoute{r.str("access_name"),
                                    r.str("workspace_id"),
                                    r.str("served_model_name"),
                                    r.i64("created_at"),
                                    {}});
    }
    if (r.boolean("ready") && !r.str("endpoint").empty()) {
      out.back().endpoints.push_back(r.str("endpoint"));
    }
  }
  return out;
}

bj::object to_json(const Deployment& d) {
  bj::array args;
  for (const auto& a : d.custom_args) args.emplace_back(a);
  bj::object env;
  for (const auto& [k, v] : d.env) env[k] = v;
  return bj::object{{"id", d.id},
                    {"workspace_id", d.workspace_id},
                    {"name", d.name},
                    {"access_name", d.access_name},
                    {"service_id", d.service_id},
                    {"model", d.model_id},
                    {"template", d.template_id},
                    {"runtime", d.runtime},
                    {"model_path", d.model_path},
                    {"served_model_name", d.served_model_name},
                    {"replicas", d.replicas},
                    {"cluster", d.cluster},
                    {"namespace", d.name_space},
                    {"desired", d.desired},
                    {"state", d.state},
                    {"reason", d.reason},
                    {"generation", d.generation},
                    {"custom_args", std::move(args)},
                    {"env", std::move(env)},
                    {"resources", bj::object{{"cpu", d.cpu}, {"memory", d.memory}}},
                    {"created_by", d.created_by},
                    {"created_at", d.created_at},
                    {"updated_at", d.updated_at}};
}

bj::object to_json(const Replica& r) {
  return bj::object{{"index", r.index},
                    {"state", r.state},
                    {"reason", r.reason},
                    {"ready", r.ready},
                    {"pid", r.pid},
                    {"port", r.port},
                    {"endpoint", r.endpoint},
                    {"restarts", r.restarts},
                    {"generation", r.generation},
                    {"started_at", r.started_at},
                    {"updated_at", r.updated_at}};
}

bj::object to_json(const Event& e) {
  return bj::object{
      {"time", e.time}, {"type", e.type}, {"reason", e.reason}, {"message", e.message}};
}

}  // namespace hydra::deploy
