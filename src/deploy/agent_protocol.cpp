#include "deploy/agent_protocol.h"

#include <boost/json.hpp>
#include <set>

#include "catalog/deployment_template.h"
#include "catalog/runtime_template.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "deploy/k8s_render.h"

namespace hydra::deploy {
namespace {

namespace bj = boost::json;

constexpr int64_t kEventsPerReport = 20;
constexpr size_t kMaxReportedDeployments = 10000;
constexpr size_t kMaxLogChunks = 1024;

std::string str_at(const bj::object& o, const char* key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

int64_t i64_at(const bj::object& o, const char* key) {
  auto* v = o.if_contains(key);
  return v && v->is_number() ? v->to_number<int64_t>() : 0;
}

Replica replica_from_json(const bj::value& v, const std::string& deployment_id) {
  json::Fields f(v, "replica");
  Replica r;
  r.deployment_id = deployment_id;
  r.index = f.i64("index");
  r.state = f.str("state");
  r.reason = f.opt_str("reason").value_or("");
  r.ready = f.opt_bool("ready").value_or(false);
  r.pid = f.opt_i64("pid").value_or(0);
  r.port = f.opt_i64("port").value_or(0);
  r.endpoint = f.opt_str("endpoint").value_or("");
  r.restarts = f.opt_i64("restarts").value_or(0);
  r.generation = f.opt_i64("generation").value_or(0);
  r.started_at = f.opt_i64("started_at").value_or(0);
  f.opt_i64("updated_at");
  f.done();
  if (r.index < 0 || r.index >= 1024) throw_param("replica index out of range", "index");
  return r;
}

Event event_from_json(const bj::value& v, const std::string& deployment_id) {
  json::Fields f(v, "event");
  Event e;
  e.deployment_id = deployment_id;
  e.id = f.str("id");
  e.time = f.i64("time");
  e.type = f.str("type");
  e.reason = f.str("reason");
  e.message = f.str("message");
  f.done();
  return e;
}

DeploymentReport deployment_report_from_json(const bj::value& v) {
  json::Fields f(v, "deployment");
  DeploymentReport d;
  d.id = f.str("id");
  d.state = f.str("state");
  d.reason = f.opt_str("reason").value_or("");
  if (auto* a = f.opt_array("replicas")) {
    for (const auto& r : *a) d.replicas.push_back(replica_from_json(r, d.id));
  }
  if (auto* a = f.opt_array("events")) {
    for (const auto& e : *a) d.events.push_back(event_from_json(e, d.id));
  }
  if (auto* a = f.opt_array("logs")) {
    if (a->size() > kMaxLogChunks) throw_param("too many log chunks", "logs");
    for (const auto& c : *a) d.logs.push_back(log_chunk_from_json(c));
  }
  f.done();
  return d;
}

// The replica fields the gateway and the API show; equal means no write.
std::string replica_signature(const Replica& r) {
  return r.state + '|' + r.reason + '|' + std::to_string(r.pid) + '|' + r.endpoint + '|' +
         std::to_string(r.restarts) + '|' + (r.ready ? "1" : "0") + '|' +
         std::to_string(r.generation);
}

void insert_event_once(store::Store& st, const Event& e) {
  st.exec(
      "INSERT INTO deployment_events (id, deployment_id, time, type, reason, message) VALUES (?, "
      "?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
      {e.id, e.deployment_id, e.time, e.type, e.reason, e.message});
}

bool apply_deployment_report(store::Store& st, const Deployment& d, const DeploymentReport& r) {
  bool changed = false;
  std::set<int64_t> reported;
  auto existing = list_replicas(st, d.id);
  for (const auto& rep : r.replicas) {
    reported.insert(rep.index);
    const Replica* old = nullptr;
    for (const auto& e : existing) {
      if (e.index == rep.index) old = &e;
    }
    if (old && replica_signature(*old) == replica_signature(rep)) continue;
    changed |= !old || old->ready != rep.ready || old->endpoint != rep.endpoint;
    save_replica(st, rep);
  }
  for (const auto& e : existing) {
    if (reported.count(e.index)) continue;
    delete_replica(st, d.id, e.index);
    changed |= e.ready;
  }
  if (d.state != r.state || d.reason != r.reason) set_deployment_state(st, d.id, r.state, r.reason);
  for (const auto& e : r.events) insert_event_once(st, e);
  return changed;
}

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

Deployment deployment_from_wire(const bj::object& o) {
  Deployment d;
  d.id = str_at(o, "id");
  d.workspace_id = str_at(o, "workspace_id");
  d.name = str_at(o, "name");
  d.access_name = str_at(o, "access_name");
  d.service_id = str_at(o, "service_id");
  d.model_id = str_at(o, "model");
  d.template_id = str_at(o, "template");
  d.runtime = str_at(o, "runtime");
  d.model_path = str_at(o, "model_path");
  d.served_model_name = str_at(o, "served_model_name");
  d.replicas = i64_at(o, "replicas");
  d.cluster = str_at(o, "cluster");
  d.name_space = str_at(o, "namespace");
  d.desired = str_at(o, "desired");
  d.generation = i64_at(o, "generation");
  if (auto* a = o.if_contains("custom_args"); a && a->is_array()) {
    for (const auto& x : a->get_array()) {
      if (x.is_string()) d.custom_args.emplace_back(x.get_string());
    }
  }
  if (auto* e = o.if_contains("env"); e && e->is_object()) {
    for (const auto& kv : e->get_object()) {
      if (kv.value().is_string()) d.env[std::string(kv.key())] = kv.value().get_string();
    }
  }
  if (auto* r = o.if_contains("resources"); r && r->is_object()) {
    if (auto* c = r->get_object().if_contains("cpu"); c && c->is_number())
      d.cpu = c->to_number<double>();
    if (auto* m = r->get_object().if_contains("memory"); m && m->is_number())
      d.memory = m->to_number<double>();
  }
  d.created_by = str_at(o, "created_by");
  d.created_at = i64_at(o, "created_at");
  return d;
}

// Inserts or updates the owner's side of a mirrored deployment; the
// observed side (state, reason) stays the agent's own.
void upsert_mirrored(store::Store& local, const Deployment& d) {
  int64_t now = now_ms();
  local.exec(
      "INSERT INTO deployments (id, workspace_id, name, access_name, service_id, model_id, "
      "template_id, runtime, model_path, served_model_name, replicas, cluster, namespace, desired, "
      "state, reason, generation, custom_args, env, cpu, memory, created_by, created_at, "
      "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?, "
      "?) ON CONFLICT (id) DO UPDATE SET runtime = excluded.runtime, model_path = "
      "excluded.model_path, served_model_name = excluded.served_model_name, replicas = "
      "excluded.replicas, namespace = excluded.namespace, desired = excluded.desired, generation "
      "= excluded.generation, custom_args = excluded.custom_args, env = excluded.env, cpu = "
      "excluded.cpu, memory = excluded.memory, updated_at = excluded.updated_at",
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
       std::string(state::kPending),
       d.generation,
       args_text(d.custom_args),
       env_text(d.env),
       d.cpu,
       d.memory,
       d.created_by,
       d.created_at,
       now});
}

// The owner's side as a comparable text, to skip identical writes.
std::string desired_signature(const Deployment& d) {
  return d.runtime + '|' + d.model_path + '|' + d.served_model_name + '|' +
         std::to_string(d.replicas) + '|' + d.name_space + '|' + d.desired + '|' +
         std::to_string(d.generation) + '|' + args_text(d.custom_args) + '|' + env_text(d.env) +
         '|' + std::to_string(d.cpu) + '|' + std::to_string(d.memory);
}

bool mirror_runtime_template(store::Store& local, const bj::value& wire) {
  if (!wire.is_object()) return false;
  bj::object o = wire.get_object();
  o.erase("id");
  o.erase("created_at");
  o.erase("updated_at");
  catalog::RuntimeTemplate want = catalog::runtime_template_from_json(o);
  std::optional<catalog::RuntimeTemplate> have;
  local.transact([&](store::Session& s) { have = catalog::find_runtime_template(s, want.name); });
  if (!have) {
    catalog::create_runtime_template(local, want, catalog::system_actor());
    return true;
  }
  bj::object mine = catalog::to_json(*have);
  for (const char* k : {"id", "created_at", "updated_at"}) mine.erase(k);
  if (mine == o) return false;
  catalog::update_runtime_template(local, want.name, o, catalog::system_actor());
  return true;
}

// GPUs and parallelism from the deployment template, for the Kubernetes backend.
KubePlacement deployment_placement(store::Store& st, const Deployment& d) {
  KubePlacement p;
  p.resources.cpu = d.cpu;
  p.resources.memory = d.memory;
  if (d.template_id.empty()) return p;
  std::optional<catalog::DeploymentTemplate> t;
  st.transact([&](store::Session& s) { t = catalog::find_deployment_template(s, d.template_id); });
  if (!t) return p;
  p.resources = t->resources;
  p.resources.cpu = d.cpu;
  p.resources.memory = d.memory;
  p.distributed = t->distributed;
  return p;
}

}  // namespace

bj::object to_json(const AgentReport& r) {
  bj::array deployments;
  for (const auto& d : r.deployments) {
    bj::array replicas, events;
    for (const auto& x : d.replicas) replicas.push_back(to_json(x));
    for (const auto& e : d.events) {
      bj::object o = to_json(e);
      o["id"] = e.id;
      events.push_back(std::move(o));
    }
    bj::object o{{"id", d.id},
                 {"state", d.state},
                 {"reason", d.reason},
                 {"replicas", std::move(replicas)},
                 {"events", std::move(events)}};
    // Only when there are some: servers from before log shipping refuse the field.
    if (!d.logs.empty()) {
      bj::array logs;
      for (const auto& c : d.logs) logs.push_back(to_json(c));
      o["logs"] = std::move(logs);
    }
    deployments.push_back(std::move(o));
  }
  return bj::object{{"agent", bj::object{{"host", r.agent.host},
                                         {"version", r.agent.version},
                                         {"backend", r.agent.backend},
                                         {"heartbeat_ms", r.agent.heartbeat_ms}}},
                    {"capacity", to_json(r.capacity)},
                    {"deployments", std::move(deployments)}};
}

AgentReport agent_report_from_json(const bj::value& v) {
  json::Fields f(v);
  AgentReport r;
  if (const bj::value* a = f.opt_value("agent")) {
    json::Fields af(*a, "agent");
    r.agent.host = af.opt_str("host").value_or("");
    r.agent.version = af.opt_str("version").value_or("");
    r.agent.backend = af.opt_str("backend").value_or("local");
    r.agent.heartbeat_ms = af.opt_i64("heartbeat_ms").value_or(5000);
    af.done();
  }
  if (r.agent.heartbeat_ms < 100 || r.agent.heartbeat_ms > 600000) {
    throw_param("agent.heartbeat_ms must be between 100 and 600000", "heartbeat_ms");
  }
  check_cluster_backend(r.agent.backend);
  if (const bj::value* c = f.opt_value("capacity")) r.capacity = capacity_from_json(*c);
  if (const bj::array* a = f.opt_array("deployments")) {
    if (a->size() > kMaxReportedDeployments) throw_param("too many deployments", "deployments");
    for (const auto& d : *a) r.deployments.push_back(deployment_report_from_json(d));
  }
  f.done();
  return r;
}

bj::object desired_deployments(store::Store& st, const std::string& cluster) {
  DeploymentQuery q;
  q.cluster = cluster;
  q.include_deleted = true;
  q.limit = 100000;
  bj::array items;
  std::map<std::string, bj::object> templates;
  for (const auto& d : list_deployments(st, q).items) {
    bj::object o = to_json(d);
    if (!templates.count(d.runtime)) {
      std::optional<catalog::RuntimeTemplate> rt;
      st.transact([&](store::Session& s) { rt = catalog::find_runtime_template(s, d.runtime); });
      templates[d.runtime] = rt ? catalog::to_json(*rt) : bj::object{};
    }
    o["runtime_template"] = templates[d.runtime];
    o["placement"] = to_json(deployment_placement(st, d));
    items.push_back(std::move(o));
  }
  int64_t total = static_cast<int64_t>(items.size());
  return bj::object{{"items", std::move(items)}, {"total", total}, {"accepts_logs", true}};
}

bool apply_agent_report(store::Store& st, const Cluster& c, const AgentReport& r,
                        const std::string& data_dir) {
  bool changed = false;
  std::set<std::string> held;
  for (const auto& dr : r.deployments) {
    held.insert(dr.id);
    auto d = find_deployment(st, dr.id);
    // Another cluster's deployment, or one deleted and purged meanwhile.
    if (!d || d->cluster != c.name || d->desired == desired::kDeleted) continue;
    changed |= apply_deployment_report(st, *d, dr);
    // d->id, not dr.id: the path is built from the store's id, never the agent's text.
    // A copy that cannot be written loses that chunk (the next one starts it
    // over); the replica states above still count.
    for (const auto& chunk : data_dir.empty() ? std::vector<LogChunk>{} : dr.logs) {
      try {
        mirror_log_chunk(data_dir, d->id, chunk);
      } catch (const std::exception& e) {
        spdlog::warn("deployment {}: replica {} log not kept: {}", d->access_name, chunk.replica,
                     e.what());
      }
    }
  }
  DeploymentQuery q;
  q.cluster = c.name;
  q.include_deleted = true;
  q.limit = 100000;
  for (const auto& d : list_deployments(st, q).items) {
    if (d.desired != desired::kDeleted || held.count(d.id)) continue;
    purge_deployment(st, d.id);
    changed = true;
  }
  return changed;
}

bool mirror_desired_deployments(store::Store& local, const bj::value& desired) {
  const auto& items = desired.at("items").as_array();
  bool changed = false;
  std::set<std::string> listed;
  std::set<std::string> runtimes;
  for (const auto& item : items) {
    const auto& o = item.as_object();
    Deployment want = deployment_from_wire(o);
    if (want.id.empty()) continue;
    listed.insert(want.id);
    auto have = find_deployment(local, want.id);
    if (have && (have->desired == desired::kDeleted ||
                 desired_signature(*have) == desired_signature(want))) {
      continue;
    }
    if (!have && want.desired == desired::kDeleted) continue;  // never ran here
    if (auto* rt = o.if_contains("runtime_template"); rt && !runtimes.count(want.runtime)) {
      runtimes.insert(want.runtime);
      if (rt->is_object() && !rt->get_object().empty()) mirror_runtime_template(local, *rt);
    }
    try {
      upsert_mirrored(local, want);
    } catch (const store::UniqueViolation&) {
      // The name is still held here by a deployment the server has already
      // forgotten (deleted, its replicas still stopping): this one is
      // mirrored on a later round, once that one is purged.
      spdlog::warn("deployment {} waits: its name '{}' is still held on this cluster", want.id,
                   want.name);
      continue;
    }
    changed = true;
  }
  DeploymentQuery q;
  q.limit = 100000;
  for (const auto& d : list_deployments(local, q).items) {
    if (listed.count(d.id)) continue;
    local.transact([&](store::Session& s) { set_desired(s, d.id, desired::kDeleted, false); });
    changed = true;
  }
  return changed;
}

AgentReport build_agent_report(store::Store& local, const AgentInfo& agent,
                               const ClusterCapacity& cap, const std::string& advertise_host) {
  AgentReport r;
  r.agent = agent;
  r.capacity = cap;
  DeploymentQuery q;
  q.include_deleted = true;
  q.limit = 100000;
  const std::string loopback = "http://127.0.0.1:";
  for (const auto& d : list_deployments(local, q).items) {
    DeploymentReport dr;
    dr.id = d.id;
    dr.state = d.state;
    dr.reason = d.reason;
    dr.replicas = list_replicas(local, d.id);
    for (auto& x : dr.replicas) {
      if (!advertise_host.empty() && x.endpoint.rfind(loopback, 0) == 0) {
        x.endpoint = "http://" + advertise_host + ":" + x.endpoint.substr(loopback.size());
      }
    }
    dr.events = list_events(local, d.id, kEventsPerReport);
    r.deployments.push_back(std::move(dr));
  }
  return r;
}

}  // namespace hydra::deploy
