#pragma once
// The remote agent's loop (`hydra agent`): every heartbeat it pulls the
// desired deployments of its cluster from the control plane, mirrors them
// into its own store (see agent_protocol.h), and reports capacity and
// replica states back. A backend controller (LocalAgent, or the
// Kubernetes one) works on that store and wakes the loop when replica
// readiness changed, so the gateway learns of it at once. Replica logs go
// along with the reports (replica_logs.h) to servers that take them.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "deploy/agent_protocol.h"
#include "deploy/k8s_render.h"
#include "http/client.h"
#include "store/store.h"

namespace hydra::deploy {

struct RemoteAgentOptions {
  std::string server;  // control plane base URL, http(s)://host:port
  std::string token;   // the cluster's join token
  std::string name;    // the cluster
  std::string backend = "local";
  std::string advertise_host = "127.0.0.1";  // how the gateway reaches this machine's replicas
  std::string version;
  int64_t heartbeat_ms = 5000;
  std::string ca_file;  // extra trust anchors for an https server
};

// A refusal by the control plane (bad token, unknown cluster, wrong
// backend): retrying would not help.
class AgentRejected : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class RemoteAgent {
 public:
  RemoteAgent(store::Store& local, RemoteAgentOptions opts);

  // One round: pull, mirror, report. Throws AgentRejected on 4xx answers
  // and std::runtime_error when the server cannot be reached.
  void sync_once();
  // Rounds until `stopping`; the first round must succeed (a rejected
  // join ends the agent), later failures are logged and retried.
  void run(const std::atomic<bool>& stopping);
  // Runs the next round now (called by the backend on readiness changes).
  void wake();
  // The placement the server sent with a deployment (GPUs, nodes, tp/pp).
  KubePlacement placement(const std::string& deployment_id);

 private:
  http::ClientResponse call(const std::string& method, const std::string& path,
                            const std::string& body);
  void wait_next_round(const std::atomic<bool>& stopping);

  store::Store& local_;
  RemoteAgentOptions opts_;
  http::Client client_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
  std::map<std::string, KubePlacement> placements_;  // under mu_
  LogShipper logs_;                                  // used by the loop's thread only
};

}  // namespace hydra::deploy
