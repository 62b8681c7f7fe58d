#pragma once
// Deployments (model services, DESIGN.md §3): what a workspace asked for
// (rows written by the API) and what the cluster's agent observed (replica
// rows and events written by the controller). The state machine is
// Pending -> Downloading -> Starting -> Running -> Degraded | Failed | Stopped.
#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"

namespace hydra::deploy {

namespace state {
inline constexpr const char* kPending = "Pending";
inline constexpr const char* kDownloading = "Downloading";
inline constexpr const char* kStarting = "Starting";
inline constexpr const char* kRunning = "Running";
inline constexpr const char* kDegraded = "Degraded";
inline constexpr const char* kFailed = "Failed";
inline constexpr const char* kStopped = "Stopped";
inline constexpr const char* kDeleting = "Deleting";
}  // namespace state

// What the owner wants: "running", "stopped" or "deleted" (the agent
// stops the replicas, then removes the rows).
namespace desired {
inline constexpr const char* kRunning = "running";
inline constexpr const char* kStopped = "stopped";
inline constexpr const char* kDeleted = "deleted";
}  // namespace desired

struct Deployment {
  std::string id;
  std::string workspace_id;
  std::string name;
  std::string access_name;  // <workspace-slug>/<name>
  std::string service_id;   // for billing
  std::string model_id;
  std::string template_id;
  std::string runtime = "hydra-engine";
  std::string model_path;
  std::string model_files_id;  // a file set (src/files) when the model comes from one; not a column
  std::string served_model_name;  // the id the runtime answers to
  int64_t replicas = 1;
  std::string cluster = "local";
  std::string name_space = "default";
  std::string desired = desired::kRunning;
  std::string state = state::kPending;
  std::string reason;
  int64_t generation = 1;  // bumped by restart: replicas of older generations are replaced
  std::vector<std::string> custom_args;
  std::map<std::string, std::string> env;
  double cpu = 0;     // cores per replica
  double memory = 0;  // GB per replica
  std::string created_by;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

struct Replica {
  std::string deployment_id;
  int64_t index = 0;
  std::string state = state::kPending;
  std::string reason;
  int64_t pid = 0;
  int64_t port = 0;
  std::string endpoint;     // OpenAI base URL, http://127.0.0.1:PORT/v1
  std::string start_token;  // proves a pid is still this replica after a restart
  int64_t restarts = 0;
  std::string log_path;
  int64_t generation = 0;
  bool ready = false;
  int64_t started_at = 0;
  int64_t updated_at = 0;
};

struct Event {
  std::string id;
  std::string deployment_id;
  int64_t time = 0;
  std::string type;  // Normal | Warning
  std::string reason;
  std::string message;
};

// 2-64 characters of [a-z0-9-], starting and ending alphanumeric; PARAM_ERROR otherwise.
void check_deployment_name(const std::string& name);

// Inserts a new deployment (ids, access name and times filled in) and its
// first event. CONFLICT when the workspace already has that name.
void insert_deployment(store::Session& s, Deployment& d);
std::optional<Deployment> find_deployment(store::Session& s, const std::string& id);
std::optional<Deployment> find_deployment(store::Store& st, const std::string& id);
std::optional<Deployment> find_deployment_by_name(store::Store& st, const std::string& workspace_id,
                                                  const std::string& name);

struct DeploymentQuery {
  std::string workspace_id;  // "" for every workspace (administrators)
  std::string cluster;       // "" for every cluster
  bool include_deleted = false;
  int64_t offset = 0;
  int64_t limit = 20;
};
struct DeploymentPage {
  std::vector<Deployment> items;
  int64_t total = 0;
};
DeploymentPage list_deployments(store::Store& st, const DeploymentQuery& q);

// Owner changes, inside the caller's transaction (with the audit event).
void set_replica_count(store::Session& s, const std::string& id, int64_t replicas);
void set_desired(store::Session& s, const std::string& id, const std::string& desired,
                 bool bump_generation);

// Agent side.
std::vector<Replica> list_replicas(store::Store& st, const std::string& deployment_id);
void save_replica(store::Store& st, const Replica& r);
void delete_replica(store::Store& st, const std::string& deployment_id, int64_t index);
void set_deployment_state(store::Store& st, const std::string& id, const std::string& state,
                          const std::string& reason);
void add_event(store::Store& st, const std::string& deployment_id, const std::string& type,
               const std::string& reason, const std::string& message);
std::vector<Event> list_events(store::Store& st, const std::string& deployment_id, int64_t limit);
// Removes a deleted deployment's rows once its replicas are gone.
void purge_deployment(store::Store& st, const std::string& id);

// What the gateway routes: every deployment that is not deleted, with the
// endpoints of its ready replicas (none while it starts or is stopped).
struct DeploymentRoute {
  std::string access_name;
  std::string workspace_id;
  std::string served_model_name;
  int64_t created_at = 0;
  std::vector<std::string> endpoints;  // OpenAI base URLs
};
std::vector<DeploymentRoute> list_deployment_routes(store::Store& st);

boost::json::object to_json(const Deployment& d);
boost::json::object to_json(const Replica& r);
boost::json::object to_json(const Event& e);

}  // namespace hydra::deploy
