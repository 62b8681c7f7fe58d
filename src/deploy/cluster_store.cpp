#include <boost/json.hpp>

#include "common/clock.h"
#include "common/error.h"
#include "common/random.h"
#include "common/strings.h"
#include "deploy/capacity.h"
#include "deploy/cluster.h"
#include "deploy/deployment.h"
#include "deploy/host_capacity.h"

namespace hydra::deploy {
namespace {

namespace bj = boost::json;

constexpr const char* kColumns =
    "id, name, region, backend, gateway_url, description, state, agent_host, agent_version, "
    "heartbeat_ms, last_heartbeat_at, cpu, memory, gpus, created_by, created_at, updated_at";

std::string gpus_text(const std::vector<Gpu>& gpus) {
  bj::array a;
  for (const auto& g : gpus) a.push_back(bj::object{{"name", g.name}, {"memory_gb", g.memory_gb}});
  return bj::serialize(a);
}

std::vector<Gpu> gpus_from(const bj::value& v) {
  std::vector<Gpu> out;
  if (!v.is_array()) return out;
  for (const auto& g : v.as_array()) {
    if (!g.is_object()) continue;
    Gpu x;
    if (auto* n = g.as_object().if_contains("name"); n && n->is_string()) x.name = n->as_string();
    if (auto* m = g.as_object().if_contains("memory_gb"); m && m->is_number())
      x.memory_gb = m->to_number<double>();
    out.push_back(std::move(x));
  }
  return out;
}

Cluster from_row(const store::Rows::Row& r) {
  Cluster c;
  c.id = r.str("id");
  c.name = r.str("name");
  c.region = r.str("region");
  c.backend = r.str("backend");
  c.gateway_url = r.str("gateway_url");
  c.description = r.str("description");
  c.state = r.str("state");
  c.agent_host = r.str("agent_host");
  c.agent_version = r.str("agent_version");
  c.heartbeat_ms = r.i64("heartbeat_ms");
  c.last_heartbeat_at = r.i64("last_heartbeat_at");
  c.capacity.cpu = r.f64("cpu");
  c.capacity.memory = r.f64("memory");
  // Written by this module only.
  c.capacity.gpus = gpus_from(bj::parse(r.str("gpus")));
  c.created_by = r.str("created_by");
  c.created_at = r.i64("created_at");
  c.updated_at = r.i64("updated_at");
  return c;
}

std::string new_token() {
  return "hct_" + random_hex(24);
}

}  // namespace

void check_cluster_backend(const std::string& backend) {
  if (backend != "local" && backend != "kubernetes") {
    throw_param("backend must be local or kubernetes", "backend");
  }
}

std::string insert_cluster(store::Session& s, Cluster& c) {
  if (!valid_resource_name(c.name)) {
    throw_param(
        "name must be 2-64 characters of a-z, 0-9 and '-', starting and ending with a letter or "
        "digit",
        "name");
  }
  check_cluster_backend(c.backend);
  if (find_cluster(s, c.name)) throw_conflict("a cluster named '" + c.name + "' exists");
  if (c.id.empty()) c.id = new_id();
  c.created_at = c.updated_at = now_ms();
  std::string token = new_token();
  try {
    s.exec(
        std::string("INSERT INTO clusters (") + kColumns +
            ", token_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {c.id, c.name, c.region, c.backend, c.gateway_url, c.description, c.state, c.agent_host,
         c.agent_version, c.heartbeat_ms, c.last_heartbeat_at, c.capacity.cpu, c.capacity.memory,
         gpus_text(c.capacity.gpus), c.created_by, c.created_at, c.updated_at, sha256_hex(token)});
  } catch (const store::UniqueViolation&) {
    throw_conflict("a cluster named '" + c.name + "' exists");
  }
  return token;
}

std::string rotate_cluster_token(store::Session& s, const std::string& name) {
  std::string token = new_token();
  if (s.exec("UPDATE clusters SET token_hash = ?, updated_at = ? WHERE name = ?",
             {sha256_hex(token), now_ms(), name}) == 0) {
    throw_not_found("cluster");
  }
  return token;
}

std::optional<Cluster> find_cluster(store::Session& s, const std::string& key) {
  auto rows = s.query(std::string("SELECT ") + kColumns + " FROM clusters WHERE name = ? OR id = ?",
                      {key, key});
  if (rows.empty()) return std::nullopt;
  return from_row(rows[0]);
}

std::optional<Cluster> find_cluster(store::Store& st, const std::string& key) {
  std::optional<Cluster> out;
  st.transact([&](store::Session& s) { out = find_cluster(s, key); });
  return out;
}

std::vector<Cluster> list_clusters(store::Store& st, int64_t offset, int64_t limit,
                                   int64_t* total) {
  if (total) *total = st.query("SELECT COUNT(*) AS n FROM clusters")[0].i64("n");
  std::vector<Cluster> out;
  for (const auto& r : st.query(std::string("SELECT ") + kColumns +
                                    " FROM clusters ORDER BY created_at, id LIMIT ? OFFSET ?",
                                {limit, offset})) {
    out.push_back(from_row(r));
  }
  return out;
}

void delete_cluster(store::Session& s, const Cluster& c) {
  auto n = s.query("SELECT COUNT(*) AS n FROM deployments WHERE cluster = ?", {c.name})[0].i64("n");
  if (n > 0) {
    throw_conflict("cluster '" + c.name + "' still has " + std::to_string(n) +
                   " deployment(s); delete them first");
  }
  s.exec("DELETE FROM clusters WHERE id = ?", {c.id});
}

Cluster authenticate_agent(store::Store& st, const std::string& name, const std::string& token) {
  auto rows = st.query("SELECT token_hash FROM clusters WHERE name = ?", {name});
  bool ok = !rows.empty() && !token.empty() &&
            constant_time_equal(sha256_hex(token), rows[0].str("token_hash"));
  if (!ok) {
    throw ApiError(ErrorCode::kUnauthenticated,
                   "agent token is not valid for cluster '" + name + "'");
  }
  return *find_cluster(st, name);
}

std::string record_heartbeat(store::Store& st, const std::string& name, const AgentInfo& agent,
                             const ClusterCapacity& cap) {
  std::string before;
  st.transact([&](store::Session& s) {
    auto c = find_cluster(s, name);
    if (!c) throw_not_found("cluster");
    before = c->state;
    int64_t now = now_ms();
    s.exec(
        "UPDATE clusters SET state = ?, agent_host = ?, agent_version = ?, heartbeat_ms = ?, "
        "last_heartbeat_at = ?, cpu = ?, memory = ?, gpus = ?, updated_at = ? WHERE name = ?",
        {std::string(cluster_state::kReachable), agent.host, agent.version,
         std::max<int64_t>(agent.heartbeat_ms, 100), now, cap.cpu, cap.memory, gpus_text(cap.gpus),
         now, name});
  });
  return before;
}

std::vector<std::string> mark_silent_clusters(store::Store& st, int64_t now) {
  std::vector<std::string> names;
  st.transact([&](store::Session& s) {
    auto rows = s.query(
        "SELECT name FROM clusters WHERE state = ? AND last_heartbeat_at + heartbeat_ms * ? < ?",
        {std::string(cluster_state::kReachable), kMissedHeartbeats, now});
    for (const auto& r : rows) {
      names.push_back(r.str("name"));
      s.exec("UPDATE clusters SET state = ?, updated_at = ? WHERE name = ? AND state = ?",
             {std::string(cluster_state::kUnreachable), now, r.str("name"),
              std::string(cluster_state::kReachable)});
    }
  });
  return names;
}

void ensure_local_cluster(store::Store& st) {
  st.transact([&](store::Session& s) {
    if (find_cluster(s, kLocalCluster)) return;
    Cluster c;
    c.name = kLocalCluster;
    c.backend = "local";
    c.description = "this server's own machine";
    insert_cluster(s, c);  // its token is never shown: the in-process agent needs none
  });
}

ReplicaCounts count_cluster_replicas(store::Store& st, const std::string& name) {
  ReplicaCounts c;
  c.deployments =
      st.query("SELECT COUNT(*) AS n FROM deployments WHERE cluster = ? AND desired <> ?",
               {name, std::string(desired::kDeleted)})[0]
          .i64("n");
  auto rows = st.query(
      "SELECT COUNT(*) AS n, SUM(r.ready) AS ready FROM deployment_replicas r JOIN deployments d "
      "ON d.id = r.deployment_id WHERE d.cluster = ?",
      {name});  // a Row points into its Rows: keep them alive
  c.replicas = rows[0].i64("n");
  c.ready = rows[0].i64("ready");
  return c;
}

Capacity schedulable_capacity(store::Store& st, const std::string& cluster) {
  auto c = find_cluster(st, cluster);
  if (cluster == kLocalCluster) {
    Capacity m = machine_capacity();
    // The GPUs the cluster monitor last read; this machine's own until it has.
    m.gpus = c && c->last_heartbeat_at != 0 ? c->capacity.gpus : host_capacity().gpus;
    return m;
  }
  if (!c || c->last_heartbeat_at == 0) return Capacity{1e12, 1e12, std::nullopt};
  Capacity cap{c->capacity.cpu, c->capacity.memory, c->capacity.gpus};
  // A Kubernetes agent that sees no GPU leaves GPU placement to the scheduler.
  if (c->backend == "kubernetes" && c->capacity.gpus.empty()) cap.gpus.reset();
  return cap;
}

bj::object to_json(const ClusterCapacity& c) {
  bj::array gpus;
  for (const auto& g : c.gpus)
    gpus.push_back(bj::object{{"name", g.name}, {"memory_gb", g.memory_gb}});
  return bj::object{{"cpu", c.cpu}, {"memory", c.memory}, {"gpus", std::move(gpus)}};
}

ClusterCapacity capacity_from_json(const bj::value& v) {
  ClusterCapacity c;
  if (!v.is_object()) throw_param("capacity must be an object", "capacity");
  const auto& o = v.as_object();
  auto num = [&](const char* key) {
    auto* x = o.if_contains(key);
    if (!x) return 0.0;
    if (!x->is_number()) throw_param(std::string("capacity.") + key + " must be a number", key);
    double d = x->to_number<double>();
    if (d < 0) throw_param(std::string("capacity.") + key + " must not be negative", key);
    return d;
  };
  c.cpu = num("cpu");
  c.memory = num("memory");
  if (auto* g = o.if_contains("gpus")) c.gpus = gpus_from(*g);
  return c;
}

bj::object to_json(const Cluster& c) {
  return bj::object{{"id", c.id},
                    {"name", c.name},
                    {"region", c.region},
                    {"backend", c.backend},
                    {"gateway_url", c.gateway_url},
                    {"description", c.description},
                    {"state", c.state},
                    {"agent", bj::object{{"host", c.agent_host},
                                         {"version", c.agent_version},
                                         {"heartbeat_ms", c.heartbeat_ms},
                                         {"last_heartbeat_at", c.last_heartbeat_at}}},
                    {"capacity", to_json(c.capacity)},
                    {"created_by", c.created_by},
                    {"created_at", c.created_at},
                    {"updated_at", c.updated_at}};
}

}  // namespace hydra::deploy
