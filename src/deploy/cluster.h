#pragma once
// Clusters (DESIGN.md §3): where deployments run. Each has one agent, the
// in-process one of `hydra serve` for cluster `local` or a `hydra agent`
// that joined with the token an administrator was given when creating
// the cluster. Agents heartbeat their capacity; a cluster whose agent is
// silent for three heartbeat intervals is marked unreachable.
#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "deploy/capacity.h"
#include "store/store.h"

namespace hydra::deploy {

inline constexpr const char* kLocalCluster = "local";

namespace cluster_state {
inline constexpr const char* kPending = "pending";  // no agent has joined yet
inline constexpr const char* kReachable = "reachable";
inline constexpr const char* kUnreachable = "unreachable";
}  // namespace cluster_state

struct ClusterCapacity {
  double cpu = 0;     // cores
  double memory = 0;  // GB
  std::vector<Gpu> gpus;
};

struct Cluster {
  std::string id;
  std::string name;
  std::string region;
  std::string backend = "local";  // local | kubernetes
  std::string gateway_url;        // where clients of this cluster's services enter
  std::string description;
  std::string state = cluster_state::kPending;
  std::string agent_host;
  std::string agent_version;
  int64_t heartbeat_ms = 5000;  // the interval the agent promised
  int64_t last_heartbeat_at = 0;
  ClusterCapacity capacity;
  std::string created_by;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// A silent agent is declared gone after this many missed heartbeats.
inline constexpr int64_t kMissedHeartbeats = 3;

// PARAM_ERROR unless `backend` is local or kubernetes.
void check_cluster_backend(const std::string& backend);

// Inserts the cluster with a fresh join token and returns the token (only
// its hash is stored). CONFLICT when the name is taken.
std::string insert_cluster(store::Session& s, Cluster& c);
// A new join token for `name`; the old one stops working.
std::string rotate_cluster_token(store::Session& s, const std::string& name);
std::optional<Cluster> find_cluster(store::Session& s, const std::string& name_or_id);
std::optional<Cluster> find_cluster(store::Store& st, const std::string& name_or_id);
std::vector<Cluster> list_clusters(store::Store& st, int64_t offset, int64_t limit, int64_t* total);
// CONFLICT while deployments still run on it.
void delete_cluster(store::Session& s, const Cluster& c);

// The cluster `name` when `token` is its join token; 401 otherwise (the
// same answer for an unknown cluster, so names cannot be probed).
Cluster authenticate_agent(store::Store& st, const std::string& name, const std::string& token);

struct AgentInfo {
  std::string host;
  std::string version;
  std::string backend;
  int64_t heartbeat_ms = 5000;
};
// Records a heartbeat: capacity, agent details, state reachable. Returns
// the state the cluster had before.
std::string record_heartbeat(store::Store& st, const std::string& name, const AgentInfo& agent,
                             const ClusterCapacity& cap);
// Marks clusters whose agent missed kMissedHeartbeats heartbeats as
// unreachable; returns their names.
std::vector<std::string> mark_silent_clusters(store::Store& st, int64_t now_ms);

// Creates cluster `local` (backend local) when missing.
void ensure_local_cluster(store::Store& st);

struct ReplicaCounts {
  int64_t deployments = 0;
  int64_t replicas = 0;
  int64_t ready = 0;
};
ReplicaCounts count_cluster_replicas(store::Store& st, const std::string& name);

// What deployments on `cluster` may ask for in all: this machine for
// `local` (GPUs as the cluster monitor last reported them), the last
// capacity its agent reported otherwise (unbounded until the agent first
// reported, so a deployment may wait for its agent). GPUs are not counted
// on a Kubernetes cluster whose agent reports none: its scheduler places
// GPU pods on nodes the agent does not see.
Capacity schedulable_capacity(store::Store& st, const std::string& cluster);

boost::json::object to_json(const ClusterCapacity& c);
ClusterCapacity capacity_from_json(const boost::json::value& v);
boost::json::object to_json(const Cluster& c);

}  // namespace hydra::deploy
