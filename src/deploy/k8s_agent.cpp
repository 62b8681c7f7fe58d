#include "deploy/k8s_agent.h"

#include <algorithm>
#include <boost/json.hpp>
#include <set>

#include "catalog/runtime_template.h"
#include "common/log.h"
#include "deploy/change_signal.h"

namespace hydra::deploy {
namespace {

namespace bj = boost::json;

const bj::object& obj(const bj::object& o, const char* key) {
  static const bj::object empty;
  auto* x = o.if_contains(key);
  return x && x->is_object() ? x->get_object() : empty;
}

const bj::object& obj(const bj::value& v, const char* key) {
  static const bj::object empty;
  return v.is_object() ? obj(v.get_object(), key) : empty;
}

std::string str(const bj::object& o, const char* key) {
  auto* x = o.if_contains(key);
  return x && x->is_string() ? std::string(x->get_string()) : std::string();
}

const bj::array& arr(const bj::object& o, const char* key) {
  static const bj::array empty;
  auto* x = o.if_contains(key);
  return x && x->is_array() ? x->get_array() : empty;
}

constexpr const char* kSelector = "app.kubernetes.io/managed-by=hydra";
constexpr const char* kPods = "/api/v1/pods";
constexpr const char* kDatasets = "/apis/dataset.baizeai.io/v1alpha1/datasets";

std::string pod_key(const bj::value& pod) {
  const auto& m = obj(pod, "metadata");
  return str(m, "namespace") + "/" + str(m, "name");
}

bool is_failure_reason(const std::string& r) {
  return r == "CrashLoopBackOff" || r == "ErrImagePull" || r == "ImagePullBackOff" ||
         r == "InvalidImageName" || r == "CreateContainerConfigError" ||
         r == "CreateContainerError" || r == "RunContainerError";
}

}  // namespace

PodView pod_view(const bj::value& pod) {
  PodView p;
  const auto& meta = obj(pod, "metadata");
  const auto& labels = obj(meta, "labels");
  const auto& status = obj(pod, "status");
  p.deployment_id = str(labels, kDeploymentLabel);
  p.name = str(meta, "name");
  p.created = str(meta, "creationTimestamp");
  std::string worker = str(labels, kLwsWorkerIndexLabel);
  p.serving = worker.empty() || worker == "0";
  p.ip = str(status, "podIP");
  std::string phase = str(status, "phase");
  for (const auto& c : arr(status, "conditions")) {
    if (!c.is_object()) continue;
    const auto& co = c.get_object();
    if (str(co, "type") == "Ready" && str(co, "status") == "True") p.ready = true;
    if (str(co, "type") == "PodScheduled" && str(co, "status") == "False") {
      p.state = state::kPending;
      p.reason = str(co, "reason") + ": " + str(co, "message");
    }
  }
  std::string waiting;
  for (const auto& c : arr(status, "containerStatuses")) {
    if (!c.is_object()) continue;
    const auto& co = c.get_object();
    if (auto* n = co.if_contains("restartCount"); n && n->is_number())
      p.restarts += n->to_number<int64_t>();
    const auto& w = obj(obj(co, "state"), "waiting");
    if (!w.empty())
      waiting = str(w, "reason") + (str(w, "message").empty() ? "" : ": " + str(w, "message"));
  }
  if (meta.contains("deletionTimestamp")) {
    p.ready = false;
    p.state = state::kStopped;
    p.reason = "pod " + p.name + " is terminating";
  } else if (phase == "Failed") {
    p.state = state::kFailed;
    p.reason = "pod " + p.name + " failed: " + str(status, "reason");
  } else if (phase == "Succeeded") {
    p.state = state::kStopped;
    p.reason = "pod " + p.name + " exited";
  } else if (p.ready && phase == "Running") {
    p.state = state::kRunning;
    p.reason.clear();
  } else if (!waiting.empty() && is_failure_reason(waiting.substr(0, waiting.find(':')))) {
    p.state = state::kFailed;
    p.reason = "pod " + p.name + ": " + waiting;
  } else if (p.state.empty()) {
    p.state = state::kStarting;
    p.reason = waiting.empty() ? "pod " + p.name + " is " + (phase.empty() ? "Pending" : phase)
                               : "pod " + p.name + ": " + waiting;
  }
  if (!p.ready || p.state != state::kRunning) p.ready = false;
  return p;
}

KubeAgent::KubeAgent(store::Store& st, KubeAgentOptions opts)
    : store_(st), opts_(std::move(opts)), client_(opts_.connection, opts_.field_manager) {}

KubeAgent::~KubeAgent() {
  stop();
}

void KubeAgent::start() {
  threads_.emplace_back([this] { watch_loop(true); });
  threads_.emplace_back([this] { watch_loop(false); });
  threads_.emplace_back([this] {
    while (!stopping_) {
      try {
        if (reconcile_once() && on_change_) on_change_();
      } catch (const std::exception& e) {
        spdlog::warn("kubernetes agent: pass failed: {}", e.what());
      }
      wait_deployments_changed(opts_.tick_ms);
    }
  });
}

void KubeAgent::stop() {
  stopping_ = true;
  client_.cancel();
  notify_deployments_changed();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void KubeAgent::watch_loop(bool pods) {
  int64_t backoff_ms = 500;
  bool failing = false;
  while (!stopping_) {
    try {
      list_and_watch(pods ? kPods : kDatasets, pods);
      backoff_ms = 500;
      failing = false;
    } catch (const std::exception& e) {
      if (stopping_) break;
      if (!failing)
        spdlog::warn("kubernetes agent: watch of {} failed: {}", pods ? "pods" : "datasets",
                     e.what());
      failing = true;
      for (int64_t w = 0; w < backoff_ms && !stopping_; w += 50) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      backoff_ms = std::min<int64_t>(backoff_ms * 2, 10000);
    }
  }
}

void KubeAgent::watch_pods_once() {
  list_and_watch(kPods, true);
}

void KubeAgent::watch_datasets_once() {
  list_and_watch(kDatasets, false);
}

void KubeAgent::list_and_watch(const std::string& collection, bool pods) {
  auto take = [&](const bj::value& o, bool gone) {
    std::lock_guard<std::mutex> lock(mu_);
    if (pods) {
      if (gone) {
        pods_.erase(pod_key(o));
      } else {
        pods_[pod_key(o)] = pod_view(o);
      }
      return;
    }
    const auto& labels = obj(obj(o, "metadata"), "labels");
    std::string id = str(labels, kDeploymentLabel);
    if (id.empty()) return;
    if (gone) {
      datasets_.erase(id);
    } else {
      const auto& st = obj(o, "status");
      datasets_[id] = DatasetView{str(st, "phase"), str(st, "pvcName")};
    }
  };
  bj::value list = client_.list(collection, kSelector);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (pods)
      pods_.clear();
    else
      datasets_.clear();
  }
  for (const auto& item : arr(list.as_object(), "items")) take(item, false);
  notify_deployments_changed();
  std::string rv = str(obj(list, "metadata"), "resourceVersion");
  client_.watch(collection, kSelector, rv, opts_.watch_timeout_s, [&](const WatchEvent& e) {
    if (e.type == "ERROR") return false;  // e.g. 410 Gone: list again
    if (e.type == "BOOKMARK") return !stopping_.load();
    take(e.object, e.type == "DELETED");
    notify_deployments_changed();
    return !stopping_.load();
  });
}

void KubeAgent::apply_changed(const std::vector<KubeObject>& objects) {
  for (const auto& o : objects) {
    std::string body = bj::serialize(o.body);
    auto it = applied_.find(o.path());
    if (it != applied_.end() && it->second == body) continue;
    client_.apply(o);
    applied_[o.path()] = body;
  }
}

void KubeAgent::remove_objects(const Deployment& d) {
  std::string name = kube_object_name(d);
  std::string ns = "/namespaces/" + d.name_space;
  for (const std::string& path :
       {"/apis/apps/v1" + ns + "/deployments/" + name,
        "/apis/leaderworkerset.x-k8s.io/v1" + ns + "/leaderworkersets/" + name,
        "/api/v1" + ns + "/services/" + name,
        "/apis/dataset.baizeai.io/v1alpha1" + ns + "/datasets/" + name + "-model"}) {
    try {
      client_.remove(path);
    } catch (const KubeError& e) {
      if (e.status() != 404) throw;  // a kind the cluster does not serve (no LWS or Dataset CRD)
    }
    applied_.erase(path);
  }
}

std::string KubeAgent::aggregate_state(const Deployment& d, const std::vector<PodView>& pods,
                                       std::string* reason) {
  if (d.desired == desired::kStopped) {
    *reason = "stopped by its owner";
    return state::kStopped;
  }
  if (!dataset_source(d.model_path).type.empty()) {
    DatasetView ds;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = datasets_.find(d.id);
      if (it != datasets_.end()) ds = it->second;
    }
    if (ds.phase == "FAILED") {
      *reason = "model files: dataset failed";
      return state::kFailed;
    }
    if (ds.phase != "READY" || ds.claim.empty()) {
      *reason = "model files: dataset " + (ds.phase.empty() ? std::string("PENDING") : ds.phase);
      return state::kDownloading;
    }
  }
  int64_t ready = 0, failed = 0, pending = 0;
  std::string failure, unscheduled;
  for (const auto& p : pods) {
    ready += p.ready ? 1 : 0;
    if (p.state == state::kFailed) {
      ++failed;
      failure = p.reason;
    }
    if (p.state == state::kPending) {
      ++pending;
      unscheduled = p.reason;
    }
  }
  if (d.replicas > 0 && ready >= d.replicas) {
    reason->clear();
    return state::kRunning;
  }
  if (ready > 0) {
    *reason = std::to_string(ready) + " of " + std::to_string(d.replicas) + " replicas ready";
    return state::kDegraded;
  }
  if (failed > 0) {
    *reason = failure;
    return state::kFailed;
  }
  if (pending > 0) {
    *reason = unscheduled;
    return state::kPending;
  }
  *reason = pods.empty() ? "waiting for pods" : "waiting for pods to become ready";
  return state::kStarting;
}

bool KubeAgent::write_replicas(const Deployment& d, std::vector<PodView> pods) {
  std::sort(pods.begin(), pods.end(), [](const PodView& a, const PodView& b) {
    return a.created != b.created ? a.created < b.created : a.name < b.name;
  });
  bool changed = false;
  auto existing = list_replicas(store_, d.id);
  for (size_t i = 0; i < pods.size(); ++i) {
    Replica r;
    r.deployment_id = d.id;
    r.index = static_cast<int64_t>(i);
    r.state = pods[i].state;
    r.reason = pods[i].reason;
    r.ready = pods[i].ready;
    r.port = kKubeModelPort;
    r.endpoint = pods[i].ip.empty()
                     ? ""
                     : "http://" + pods[i].ip + ":" + std::to_string(kKubeModelPort) + "/v1";
    r.restarts = pods[i].restarts;
    r.generation = d.generation;
    r.log_path = "pod " + d.name_space + "/" + pods[i].name;
    const Replica* old = i < existing.size() ? &existing[i] : nullptr;
    if (old && old->state == r.state && old->reason == r.reason && old->ready == r.ready &&
        old->endpoint == r.endpoint && old->restarts == r.restarts && old->log_path == r.log_path) {
      continue;
    }
    changed |= !old || old->ready != r.ready || old->endpoint != r.endpoint;
    save_replica(store_, r);
  }
  for (const auto& old : existing) {
    if (old.index < static_cast<int64_t>(pods.size())) continue;
    delete_replica(store_, d.id, old.index);
    changed |= old.ready;
  }
  return changed;
}

bool KubeAgent::reconcile_deployment(const Deployment& d) {
  if (d.desired == desired::kDeleted) {
    remove_objects(d);
    purge_deployment(store_, d.id);
    last_state_.erase(d.id);
    return true;
  }
  KubeRenderInput in;
  in.deployment = d;
  in.runtime = catalog::get_runtime_template(store_, d.runtime);
  if (opts_.placement) in.placement = opts_.placement(d.id);
  in.image_rules = opts_.image_rules;
  std::vector<PodView> pods;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = datasets_.find(d.id);
    if (it != datasets_.end() && it->second.phase == "READY") in.dataset_claim = it->second.claim;
    for (const auto& [key, p] : pods_) {
      if (p.deployment_id == d.id && p.serving) pods.push_back(p);
    }
  }
  std::string st, reason;
  try {
    apply_changed(render_kube_objects(in));
    st = aggregate_state(d, pods, &reason);
  } catch (const std::exception& e) {
    st = state::kFailed;
    reason = std::string("cannot apply: ") + e.what();
  }
  bool changed = write_replicas(d, pods);
  std::string sig = st + '|' + reason;
  if (last_state_[d.id] != sig || d.state != st) {
    set_deployment_state(store_, d.id, st, reason);
    if (d.state != st) {
      add_event(store_, d.id, st == state::kFailed ? "Warning" : "Normal", st,
                reason.empty() ? "deployment is " + st : reason);
    }
    last_state_[d.id] = sig;
    changed = true;
  }
  return changed;
}

bool KubeAgent::reconcile_once() {
  DeploymentQuery q;
  q.cluster = opts_.cluster;
  q.include_deleted = true;
  q.limit = 100000;
  bool changed = false;
  for (const auto& d : list_deployments(store_, q).items) {
    try {
      changed |= reconcile_deployment(d);
    } catch (const std::exception& e) {
      spdlog::warn("deployment {}: {}", d.access_name, e.what());
    }
  }
  return changed;
}

}  // namespace hydra::deploy
