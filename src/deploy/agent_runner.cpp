#include "deploy/agent_runner.h"

#include <unistd.h>

#include <boost/json.hpp>

#include "common/log.h"
#include "deploy/change_signal.h"
#include "deploy/host_capacity.h"

namespace hydra::deploy {
namespace {

namespace bj = boost::json;

http::ClientOptions client_options(const RemoteAgentOptions& o) {
  http::ClientOptions c;
  c.connect_timeout_ms = 3000;
  c.request_timeout_ms = 15000;
  c.max_idle_per_host = 2;
  c.ca_file = o.ca_file;
  return c;
}

std::string hostname() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

// The server's error message, or the status.
std::string refusal(const http::ClientResponse& r) {
  try {
    bj::value v = bj::parse(r.body);
    return std::string(v.at("error").at("message").as_string());
  } catch (const std::exception&) {
    return "HTTP " + std::to_string(r.status);
  }
}

}  // namespace

RemoteAgent::RemoteAgent(store::Store& local, RemoteAgentOptions opts)
    : local_(local), opts_(std::move(opts)), client_(client_options(opts_)) {
  while (!opts_.server.empty() && opts_.server.back() == '/') opts_.server.pop_back();
}

http::ClientResponse RemoteAgent::call(const std::string& method, const std::string& path,
                                       const std::string& body) {
  http::ClientRequest req;
  req.method = method;
  req.url = opts_.server + "/api/v1/clusters/" + opts_.name + "/agent/" + path;
  req.headers.emplace_back("Authorization", "Bearer " + opts_.token);
  if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  req.body = body;
  http::ClientResponse r = client_.send(req);
  if (r.status >= 400 && r.status < 500) throw AgentRejected(refusal(r));
  if (r.status != 200) throw std::runtime_error("control plane answered " + refusal(r));
  return r;
}

void RemoteAgent::sync_once() {
  http::ClientResponse answer = call("GET", "deployments", "");
  bj::value desired = bj::parse(answer.body);
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& item : desired.at("items").as_array()) {
      const auto& o = item.as_object();
      if (auto* id = o.if_contains("id"); id && id->is_string()) {
        const bj::value* p = o.if_contains("placement");
        placements_[std::string(id->get_string())] = placement_from_json(p ? *p : bj::value());
      }
    }
  }
  if (mirror_desired_deployments(local_, desired)) notify_deployments_changed();
  AgentInfo info{hostname(), opts_.version, opts_.backend, opts_.heartbeat_ms};
  AgentReport report = build_agent_report(local_, info, host_capacity(), opts_.advertise_host);
  const bj::value* takes_logs = desired.as_object().if_contains("accepts_logs");
  if (takes_logs && takes_logs->is_bool() && takes_logs->get_bool()) {
    logs_.begin_round();
    for (auto& dr : report.deployments) dr.logs = logs_.collect(dr.id, dr.replicas);
  }
  call("POST", "heartbeat", bj::serialize(to_json(report)));
  // Only now: a report the server did not take is shipped again next round.
  for (const auto& dr : report.deployments) logs_.acknowledge(dr.id, dr.logs);
}

KubePlacement RemoteAgent::placement(const std::string& deployment_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = placements_.find(deployment_id);
  return it == placements_.end() ? KubePlacement{} : it->second;
}

void RemoteAgent::wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void RemoteAgent::wait_next_round(const std::atomic<bool>& stopping) {
  std::unique_lock<std::mutex> lock(mu_);
  // Short slices, so a stop request is seen within 100 ms.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(opts_.heartbeat_ms);
  while (!woken_ && !stopping && std::chrono::steady_clock::now() < deadline) {
    cv_.wait_for(lock, std::chrono::milliseconds(100));
  }
  woken_ = false;
}

void RemoteAgent::run(const std::atomic<bool>& stopping) {
  sync_once();
  spdlog::info("agent joined cluster '{}' at {}", opts_.name, opts_.server);
  bool failing = false;
  while (!stopping) {
    wait_next_round(stopping);
    if (stopping) break;
    try {
      sync_once();
      if (failing) spdlog::info("control plane reachable again");
      failing = false;
    } catch (const std::exception& e) {
      if (!failing) spdlog::warn("agent round failed: {}", e.what());
      failing = true;
    }
  }
}

}  // namespace hydra::deploy
