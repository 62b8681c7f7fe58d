#pragma once
// What a remote agent and the control plane say to each other over the
// REST API (DESIGN.md §2 agent role). The agent pulls the desired
// deployments of its cluster, each with its runtime template, and keeps a
// mirror of them in its own store, where the backend controllers (the
// local one, or Kubernetes) work exactly as inside `hydra serve`. Every
// heartbeat then reports the agent's capacity and what its store observed:
// each deployment's state, its replicas and its recent events. Both sides
// are level-triggered: a lost message is repaired by the next one.
#include <boost/json/value.hpp>
#include <string>
#include <vector>

#include "deploy/cluster.h"
#include "deploy/deployment.h"
#include "deploy/replica_logs.h"

namespace hydra::deploy {

struct DeploymentReport {
  std::string id;
  std::string state;
  std::string reason;
  std::vector<Replica> replicas;
  std::vector<Event> events;   // the latest few; the server keeps each id once
  std::vector<LogChunk> logs;  // what replica logs gained (only to servers that take them)
};

struct AgentReport {
  AgentInfo agent;
  ClusterCapacity capacity;
  std::vector<DeploymentReport> deployments;  // every deployment the agent still holds
};

boost::json::object to_json(const AgentReport& r);
// PARAM_ERROR on a malformed report (it is outside input to the server).
AgentReport agent_report_from_json(const boost::json::value& v);

// Server side: the desired deployments of `cluster` (deleted ones too, so
// the agent stops them), each with its runtime template, and
// "accepts_logs": true (agents ship replica logs only to servers that say so).
boost::json::object desired_deployments(store::Store& st, const std::string& cluster);
// Server side: writes what the agent observed. Deployments marked deleted
// that the agent no longer holds are purged. True when the routes changed.
// Log chunks of the cluster's live deployments go to copies under `data_dir`.
bool apply_agent_report(store::Store& st, const Cluster& c, const AgentReport& r,
                        const std::string& data_dir = "");

// Agent side: brings the agent's own store in line with the server's
// answer. Deployments the server no longer lists are marked deleted so the
// backend stops their replicas. True when anything changed.
bool mirror_desired_deployments(store::Store& local, const boost::json::value& desired);
// Agent side: the report of everything in the agent's store. Endpoints on
// 127.0.0.1 are rewritten to `advertise_host` (how the gateway reaches them).
AgentReport build_agent_report(store::Store& local, const AgentInfo& agent,
                               const ClusterCapacity& cap, const std::string& advertise_host);

}  // namespace hydra::deploy
