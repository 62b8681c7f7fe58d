#include "deploy/local_agent.h"

#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <vector>

#include "catalog/runtime_template.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/random.h"
#include "deploy/change_signal.h"
#include "deploy/replica_command.h"
#include "files/model_file_check.h"

namespace hydra::deploy {

struct LocalAgent::Live {
  pid_t pid = 0;
  int port = 0;
  std::string token;
  int64_t generation = 0;
  bool ready = false;
  int64_t started_at = 0;
  int64_t restarts = 0;
  int64_t next_start_ms = 0;
  int64_t backoff_ms = 0;
  int64_t next_probe_ms = 0;
  int failed_probes = 0;
  std::string state = state::kPending;
  std::string reason;
  std::string written;  // what the replica row last said, to skip identical writes
};

namespace {

http::ClientOptions probe_options() {
  http::ClientOptions o;
  o.connect_timeout_ms = 300;
  o.request_timeout_ms = 1000;
  o.max_idle_per_host = 1;
  return o;
}

std::string exit_text(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "exited";
}

}  // namespace

LocalAgent::LocalAgent(store::Store& st, LocalAgentOptions opts)
    : store_(st), opts_(std::move(opts)), client_(probe_options()) {}

LocalAgent::~LocalAgent() {
  stop();
}

void LocalAgent::start() {
  adopt();
  thread_ = std::thread([this] {
    while (!stopping_) {
      try {
        if (reconcile_once() && on_change_) on_change_();
      } catch (const std::exception& e) {
        spdlog::warn("local agent: pass failed: {}", e.what());
      }
      wait_deployments_changed(opts_.tick_ms);
    }
  });
}

void LocalAgent::stop() {
  stopping_ = true;
  notify_deployments_changed();
  if (thread_.joinable()) thread_.join();
}

void LocalAgent::adopt() {
  DeploymentQuery q;
  q.cluster = opts_.cluster;
  q.include_deleted = true;
  q.limit = 100000;
  for (const auto& d : list_deployments(store_, q).items) {
    for (const auto& r : list_replicas(store_, d.id)) {
      if (r.pid <= 0 || !process_has_token(static_cast<pid_t>(r.pid), r.start_token)) continue;
      auto l = std::make_unique<Live>();
      l->pid = static_cast<pid_t>(r.pid);
      l->port = static_cast<int>(r.port);
      l->token = r.start_token;
      l->generation = r.generation;
      l->ready = r.ready;  // kept in the route until a probe says otherwise
      l->started_at = r.started_at;
      l->restarts = r.restarts;
      l->backoff_ms = opts_.backoff_initial_ms;
      l->state = r.state;
      l->reason = r.reason;
      live_[{d.id, r.index}] = std::move(l);
      add_event(store_, d.id, "Normal", "Adopted",
                "replica " + std::to_string(r.index) + " (pid " + std::to_string(r.pid) +
                    ") kept after an agent restart");
      spdlog::info("deployment {}: adopted replica {} (pid {})", d.access_name, r.index, r.pid);
    }
  }
}

std::string LocalAgent::log_path(const Deployment& d, int64_t index) const {
  return opts_.data_dir + "/deployments/" + d.id + "/replica-" + std::to_string(index) + ".log";
}

void LocalAgent::persist(const Deployment& d, int64_t index, const Live& l) {
  Replica r;
  r.deployment_id = d.id;
  r.index = index;
  r.state = l.state;
  r.reason = l.reason;
  r.pid = l.pid;
  r.port = l.port;
  r.endpoint = l.port > 0 ? "http://127.0.0.1:" + std::to_string(l.port) + "/v1" : "";
  r.start_token = l.token;
  r.restarts = l.restarts;
  r.log_path = log_path(d, index);
  r.generation = l.generation;
  r.ready = l.ready;
  r.started_at = l.started_at;
  std::string sig = r.state + '|' + r.reason + '|' + std::to_string(r.pid) + '|' +
                    std::to_string(r.port) + '|' + std::to_string(r.restarts) + '|' +
                    (r.ready ? "1" : "0") + '|' + std::to_string(r.generation);
  if (sig == l.written) return;
  save_replica(store_, r);
  const_cast<Live&>(l).written = sig;
}

void LocalAgent::start_replica(const Deployment& deployment, int64_t index, Live& l, int64_t now) {
  // The model file check: a file set must be READY with every file on disk.
  Deployment d = deployment;
  files::FileCheck files = files::check_model_files(store_, d.id);
  if (files.status != files::FileCheck::Status::kNoFileSet &&
      files.status != files::FileCheck::Status::kReady) {
    bool downloading = files.status == files::FileCheck::Status::kDownloading;
    l.state = downloading ? state::kDownloading : state::kFailed;
    l.reason = files.reason;
    l.next_start_ms = now + (downloading ? 200 : 1000);
    return;
  }
  if (files.status == files::FileCheck::Status::kReady) d.model_path = files.model_path;
  if (!d.model_path.empty() && !std::filesystem::exists(d.model_path)) {
    l.state = state::kFailed;
    l.reason = "model file check failed: " + d.model_path + " does not exist";
    l.next_start_ms = now + 1000;  // checked again soon: the file may still be on its way
    return;
  }
  try {
    auto rt = catalog::get_runtime_template(store_, d.runtime);
    std::filesystem::create_directories(opts_.data_dir + "/deployments/" + d.id);
    l.port = free_loopback_port();
    l.token = random_hex(16);
    LaunchSpec spec =
        replica_launch_spec(d, rt, l.port, l.token, log_path(d, index), opts_.model_host);
    l.pid = spawn_process(spec);
  } catch (const std::exception& e) {
    l.pid = 0;
    l.state = state::kFailed;
    l.reason = std::string("cannot start: ") + e.what();
    l.next_start_ms = now + opts_.backoff_max_ms;
    add_event(store_, d.id, "Warning", "StartFailed", l.reason);
    return;
  }
  l.generation = d.generation;
  l.ready = false;
  l.started_at = now;
  l.failed_probes = 0;
  l.next_probe_ms = now;
  l.state = state::kStarting;
  l.reason = "waiting for GET /health";
  add_event(store_, d.id, "Normal", "Started",
            "replica " + std::to_string(index) + " started (pid " + std::to_string(l.pid) +
                ", port " + std::to_string(l.port) + ")");
}

void LocalAgent::probe(Live& l, const Deployment& d, int64_t index, int64_t now) {
  if (now < l.next_probe_ms) return;
  bool healthy = false;
  try {
    healthy = client_.get("http://127.0.0.1:" + std::to_string(l.port) + "/health").status == 200;
  } catch (const std::exception&) {
  }
  // Loading replicas are probed often (time to Running); ready ones each health_every_ms.
  l.next_probe_ms = now + (l.ready ? opts_.health_every_ms : 50);
  if (healthy) {
    l.failed_probes = 0;
    if (!l.ready) {
      l.ready = true;
      l.state = state::kRunning;
      l.reason.clear();
      l.backoff_ms = opts_.backoff_initial_ms;
      add_event(store_, d.id, "Normal", "Ready",
                "replica " + std::to_string(index) + " answers GET /health");
    }
    return;
  }
  if (l.ready && ++l.failed_probes >= opts_.unhealthy_after) {
    l.ready = false;
    l.state = state::kStarting;
    l.reason = "GET /health failed " + std::to_string(l.failed_probes) + " times";
    add_event(store_, d.id, "Warning", "Unhealthy",
              "replica " + std::to_string(index) + ": " + l.reason);
  }
}

void LocalAgent::ensure_replica(const Deployment& d, int64_t index, Live& l, int64_t now) {
  int status = 0;
  if (l.pid > 0 && process_exited(l.pid, &status)) {
    // A crash: out of the route at once, back after the backoff.
    l.backoff_ms = l.backoff_ms == 0 ? opts_.backoff_initial_ms
                                     : std::min(l.backoff_ms * 2, opts_.backoff_max_ms);
    l.next_start_ms = now + l.backoff_ms;
    l.restarts++;
    l.ready = false;
    l.state = state::kFailed;
    l.reason =
        "replica " + exit_text(status) + "; restarting in " + std::to_string(l.backoff_ms) + " ms";
    add_event(
        store_, d.id, "Warning", "Crashed",
        "replica " + std::to_string(index) + " (pid " + std::to_string(l.pid) + ") " + l.reason);
    l.pid = 0;
  }
  if (l.pid > 0 && l.generation != d.generation) {
    stop_replica(d, index, l, "restart requested");
    l.next_start_ms = now;
  }
  if (l.pid == 0 && now >= l.next_start_ms) start_replica(d, index, l, now);
  if (l.pid > 0) probe(l, d, index, now);
}

void LocalAgent::stop_replica(const Deployment& d, int64_t index, Live& l, const std::string& why) {
  if (l.pid > 0) {
    stop_process(l.pid, opts_.grace_ms);
    add_event(store_, d.id, "Normal", "Stopped",
              "replica " + std::to_string(index) + " (pid " + std::to_string(l.pid) +
                  ") stopped: " + why);
  }
  l.pid = 0;
  l.ready = false;
  l.state = state::kStopped;
  l.reason = why;
}

std::string LocalAgent::aggregate_state(const Deployment& d, int64_t want, std::string* reason) {
  int64_t ready = 0, failed = 0, downloading = 0;
  std::string failure, progress;
  for (int64_t i = 0; i < want; ++i) {
    auto it = live_.find({d.id, i});
    if (it == live_.end()) continue;
    if (it->second->ready) ++ready;
    if (it->second->state == state::kDownloading) {
      ++downloading;
      progress = it->second->reason;
    }
    if (it->second->state == state::kFailed) {
      ++failed;
      failure = it->second->reason;
    }
  }
  if (d.desired == desired::kStopped) {
    *reason = "stopped by its owner";
    return state::kStopped;
  }
  if (want > 0 && ready == want) {
    reason->clear();
    return state::kRunning;
  }
  if (ready > 0) {
    *reason = std::to_string(ready) + " of " + std::to_string(want) + " replicas ready";
    return state::kDegraded;
  }
  if (failed > 0) {
    *reason = failure;
    return state::kFailed;
  }
  if (downloading > 0) {
    *reason = progress;
    return state::kDownloading;
  }
  *reason = "waiting for replicas to answer GET /health";
  return state::kStarting;
}

bool LocalAgent::reconcile_deployment(const Deployment& d, int64_t now) {
  int64_t want = d.desired == desired::kRunning ? d.replicas : 0;
  bool changed = false;
  for (int64_t i = 0; i < want; ++i) {
    auto& slot = live_[{d.id, i}];
    if (!slot) slot = std::make_unique<Live>();
    bool was_ready = slot->ready;
    int64_t was_port = slot->port;
    ensure_replica(d, i, *slot, now);
    changed |= was_ready != slot->ready || (slot->ready && was_port != slot->port);
    persist(d, i, *slot);
  }
  // Surplus replicas (scaled down, stopped, deleted) go, highest index first.
  std::vector<int64_t> surplus;
  for (const auto& [k, l] : live_) {
    if (k.first == d.id && k.second >= want) surplus.push_back(k.second);
  }
  std::sort(surplus.rbegin(), surplus.rend());
  for (int64_t i : surplus) {
    Live& l = *live_[{d.id, i}];
    changed |= l.ready;
    stop_replica(d, i, l, want == 0 ? "deployment " + d.desired : "scaled down");
    delete_replica(store_, d.id, i);
    live_.erase({d.id, i});
  }
  // Rows without a live process (a replica that vanished while no agent ran).
  for (const auto& r : list_replicas(store_, d.id)) {
    if (r.index >= want && !live_.count({d.id, r.index})) {
      delete_replica(store_, d.id, r.index);
      changed |= r.ready;
    }
  }
  if (d.desired == desired::kDeleted) {
    purge_deployment(store_, d.id);
    last_state_.erase(d.id);
    spdlog::info("deployment {} deleted; its replicas are stopped", d.access_name);
    return true;
  }
  std::string reason;
  std::string st = aggregate_state(d, want, &reason);
  std::string sig = st + '|' + reason;
  if (last_state_[d.id] != sig || d.state != st) {
    set_deployment_state(store_, d.id, st, reason);
    if (d.state != st)
      add_event(store_, d.id, st == state::kFailed ? "Warning" : "Normal", st,
                reason.empty() ? "deployment is " + st : reason);
    last_state_[d.id] = sig;
    changed = true;
  }
  return changed;
}

bool LocalAgent::reconcile_once() {
  DeploymentQuery q;
  q.cluster = opts_.cluster;
  q.include_deleted = true;
  q.limit = 100000;
  int64_t now = now_ms();
  bool changed = false;
  std::set<std::string> seen;
  for (const auto& d : list_deployments(store_, q).items) {
    seen.insert(d.id);
    try {
      changed |= reconcile_deployment(d, now);
    } catch (const std::exception& e) {
      spdlog::warn("deployment {}: {}", d.access_name, e.what());
    }
  }
  // Replicas of deployments whose rows are gone: nothing may be orphaned.
  for (auto it = live_.begin(); it != live_.end();) {
    if (seen.count(it->first.first)) {
      ++it;
      continue;
    }
    if (it->second->pid > 0) stop_process(it->second->pid, opts_.grace_ms);
    changed = true;
    it = live_.erase(it);
  }
  return changed;
}

}  // namespace hydra::deploy
