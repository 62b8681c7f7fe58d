// The Kubernetes backend against a test API server on loopback: every
// object goes out as a server-side apply (PATCH, application/apply-patch+yaml,
// fieldManager, force, bearer token), unchanged objects are not re-applied,
// watch events streamed by the server become replica states while the
// stream is still open, a Dataset gates the workload, and deleting removes
// the objects. Also: kubeconfig files.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "auth/users.h"
#include "catalog/runtime_template.h"
#include "common/random.h"
#include "deploy/k8s_agent.h"
#include "deploy/k8s_client.h"
#include "http/server.h"

namespace hydra::deploy {
namespace {

namespace net = boost::asio;
namespace bj = boost::json;
using namespace std::chrono_literals;

struct Seen {
  std::string method;
  std::string path;
  std::string content_type;
  std::string authorization;
  std::map<std::string, std::string> query;
  std::string body;
};

// A Kubernetes API server stand-in: records writes, answers lists, and
// streams the queued watch events one line at a time.
class FakeApiServer {
 public:
  FakeApiServer() {
    http::Router r;
    for (const char* m : {"PATCH", "DELETE"}) {
      for (const char* p : {"/api/{rest...}", "/apis/{rest...}"}) {
        r.add(m, p, [this](http::Request& req) { return write(req); });
      }
    }
    r.add_async("GET", "/api/v1/pods", [this](http::Request& req, http::ResponseWriter& w) {
      return serve(req, w, pods);
    });
    r.add_async(
        "GET", "/apis/dataset.baizeai.io/v1alpha1/datasets",
        [this](http::Request& req, http::ResponseWriter& w) { return serve(req, w, datasets); });
    http::ServerOptions o;
    o.port = 0;
    o.access_log = false;
    o.io_threads = 1;
    o.worker_threads = 2;
    server_ = std::make_unique<http::Server>(o, std::move(r), std::make_shared<http::Metrics>());
    server_->start();
  }
  ~FakeApiServer() { server_->shutdown(200); }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  struct Feed {
    bj::array list;                   // what a list answers
    std::vector<std::string> events;  // watch lines, sent 100 ms apart
    int hold_ms = 0;                  // keep the stream open this long after the last event
  };
  Feed pods, datasets;
  std::atomic<int> streams_ended{0};
  std::atomic<bool> release{false};
  std::atomic<int> fail_kind_status{0};

  std::vector<Seen> seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }
  std::vector<Seen> watches() {
    std::lock_guard<std::mutex> lock(mu_);
    return watches_;
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mu_);
    seen_.clear();
  }

 private:
  Seen record(const http::Request& req) {
    Seen s{req.method, req.path, "", "", req.query, req.body};
    if (auto* h = req.header("content-type")) s.content_type = *h;
    if (auto* h = req.header("authorization")) s.authorization = *h;
    return s;
  }

  http::Response write(http::Request& req) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen_.push_back(record(req));
    }
    if (req.method == "DELETE") {
      return http::Response::json(200, bj::object{{"kind", "Status"}, {"status", "Success"}});
    }
    if (fail_kind_status) {
      return http::Response::json(fail_kind_status,
                                  bj::object{{"kind", "Status"}, {"message", "refused by test"}});
    }
    return http::Response::json(200, bj::parse(req.body));  // echo, as apply answers the object
  }

  net::awaitable<void> serve(http::Request& req, http::ResponseWriter& w, Feed& feed) {
    if (req.query_param("watch").value_or("") != "true") {
      bj::object list{{"kind", "List"},
                      {"metadata", bj::object{{"resourceVersion", "100"}}},
                      {"items", feed.list}};
      co_await w.send(http::Response::json(200, list));
      co_return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      watches_.push_back(record(req));
    }
    http::Headers h{{"content-type", "application/json"}};
    co_await w.begin(200, std::move(h));
    std::vector<std::string> lines = feed.events;
    for (const auto& line : lines) {
      net::steady_timer t(co_await net::this_coro::executor, std::chrono::milliseconds(100));
      co_await t.async_wait(net::use_awaitable);
      std::string out = line + "\n";
      if (!co_await w.write(out)) co_return;
    }
    // Held open until the test has seen the events (or hold_ms passed).
    for (int waited = 0; waited < feed.hold_ms && !release; waited += 20) {
      net::steady_timer t(co_await net::this_coro::executor, std::chrono::milliseconds(20));
      co_await t.async_wait(net::use_awaitable);
    }
    streams_ended++;
    co_await w.end();
  }

  std::unique_ptr<http::Server> server_;
  std::mutex mu_;
  std::vector<Seen> seen_;
  std::vector<Seen> watches_;
};

std::string pod_event(const std::string& type, const std::string& deployment_id, bool ready,
                      const std::string& waiting = "") {
  bj::object status{{"phase", ready ? "Running" : "Pending"}};
  if (ready) {
    status["podIP"] = "10.1.2.3";
    status["conditions"] = bj::array{bj::object{{"type", "Ready"}, {"status", "True"}}};
  }
  if (!waiting.empty()) {
    status["phase"] = "Running";
    status["podIP"] = "10.1.2.3";
    status["containerStatuses"] = bj::array{bj::object{
        {"name", "runtime"},
        {"restartCount", 3},
        {"state",
         bj::object{{"waiting", bj::object{{"reason", waiting}, {"message", "back-off"}}}}}}};
  }
  bj::object pod{{"apiVersion", "v1"},
                 {"kind", "Pod"},
                 {"metadata", bj::object{{"name", "chat-abc-1"},
                                         {"namespace", "team-a"},
                                         {"creationTimestamp", "2026-01-01T00:00:00Z"},
                                         {"labels", bj::object{{kDeploymentLabel, deployment_id},
                                                               {kManagedByLabel, "hydra"}}}}},
                 {"status", status}};
  return bj::serialize(bj::object{{"type", type}, {"object", pod}});
}

class KubeBackend : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("hydra-k8s-" + random_hex(8));
    std::filesystem::create_directories(dir_);
    store::StoreOptions so;
    so.synchronous = "NORMAL";
    st_ = store::open_store("sqlite:" + (dir_ / "agent.db").string(), so);
    st_->migrate();
    catalog::seed_runtime_templates(*st_);
    st_->transact([&](store::Session& s) {
      auth::NewUser u;
      u.name = "alice";
      u.password_hash = "x";
      user_ = auth::create_user(s, u).id;
    });
  }
  void TearDown() override {
    agent_.reset();
    st_.reset();
    std::filesystem::remove_all(dir_);
  }

  Deployment deploy(const std::string& model_path) {
    Deployment d;
    d.workspace_id = user_;
    d.name = "chat";
    d.cluster = "k8s";
    d.name_space = "team-a";
    d.replicas = 1;
    d.model_path = model_path;
    d.served_model_name = "chat";
    st_->transact([&](store::Session& s) { insert_deployment(s, d); });
    return d;
  }

  void make_agent() {
    KubeAgentOptions o;
    o.cluster = "k8s";
    o.connection.server = api_.url();
    o.connection.token = "t0k";
    o.watch_timeout_s = 5;
    agent_ = std::make_unique<KubeAgent>(*st_, o);
  }

  std::vector<Seen> patches() {
    std::vector<Seen> out;
    for (auto& s : api_.seen()) {
      if (s.method == "PATCH") out.push_back(s);
    }
    return out;
  }

  FakeApiServer api_;
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> st_;
  std::unique_ptr<KubeAgent> agent_;
  std::string user_;
};

TEST_F(KubeBackend, AppliesServerSideAndStreamsPodStatesIntoReplicas) {
  Deployment d = deploy("/opt/models/tiny.gguf");
  make_agent();
  agent_->reconcile_once();
  auto applied = patches();
  ASSERT_EQ(applied.size(), 3u);  // Namespace, Deployment, Service
  std::string name = kube_object_name(d);
  EXPECT_EQ(applied[0].path, "/api/v1/namespaces/team-a");
  EXPECT_EQ(applied[1].path, "/apis/apps/v1/namespaces/team-a/deployments/" + name);
  EXPECT_EQ(applied[2].path, "/api/v1/namespaces/team-a/services/" + name);
  for (const auto& p : applied) {
    EXPECT_EQ(p.content_type, "application/apply-patch+yaml");
    EXPECT_EQ(p.query.at("fieldManager"), "hydra");
    EXPECT_EQ(p.query.at("force"), "true");
    EXPECT_EQ(p.authorization, "Bearer t0k");
    bj::value body = bj::parse(p.body);  // JSON is YAML: the patch is the whole object
    EXPECT_TRUE(body.as_object().contains("apiVersion"));
    EXPECT_TRUE(body.as_object().contains("kind"));
  }
  EXPECT_EQ(bj::parse(applied[1].body)
                .at("spec")
                .at("template")
                .at("spec")
                .at("containers")
                .at(0)
                .at("image"),
            "hydra:latest");
  EXPECT_EQ(find_deployment(*st_, d.id)->state, state::kStarting);

  api_.clear();
  agent_->reconcile_once();
  EXPECT_TRUE(patches().empty());  // nothing changed, nothing re-applied

  // The pod goes from ContainerCreating to Ready while the stream stays open.
  api_.pods.events = {pod_event("ADDED", d.id, false, "ContainerCreating"),
                      pod_event("MODIFIED", d.id, true)};
  api_.pods.hold_ms = 8000;
  std::string watch_error;
  std::thread watcher([&] {
    try {
      agent_->watch_pods_once();
    } catch (const std::exception& e) {
      watch_error = e.what();
    }
  });
  auto start = std::chrono::steady_clock::now();
  bool running = false;
  bool saw_starting = false;
  while (!running && std::chrono::steady_clock::now() - start < 7000ms) {
    agent_->reconcile_once();
    auto reps = list_replicas(*st_, d.id);
    if (!reps.empty() && reps[0].state == state::kStarting &&
        reps[0].reason.find("ContainerCreating") != std::string::npos)
      saw_starting = true;
    running = find_deployment(*st_, d.id)->state == state::kRunning;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(running);
  EXPECT_TRUE(saw_starting);
  EXPECT_EQ(api_.streams_ended.load(), 0);  // read as streamed, not at the end of the answer
  api_.release = true;
  watcher.join();
  EXPECT_EQ(watch_error, "");
  auto reps = list_replicas(*st_, d.id);
  ASSERT_EQ(reps.size(), 1u);
  EXPECT_TRUE(reps[0].ready);
  EXPECT_EQ(reps[0].endpoint, "http://10.1.2.3:8000/v1");
  auto watches = api_.watches();
  ASSERT_EQ(watches.size(), 1u);
  EXPECT_EQ(watches[0].query.at("watch"), "true");
  EXPECT_EQ(watches[0].query.at("resourceVersion"), "100");
  EXPECT_EQ(watches[0].query.at("labelSelector"), "app.kubernetes.io/managed-by=hydra");
  EXPECT_EQ(watches[0].authorization, "Bearer t0k");

  // A crash loop: the replica leaves the route and the deployment fails with the reason.
  api_.pods.list = bj::array{bj::parse(pod_event("ADDED", d.id, true)).at("object")};
  api_.pods.events = {pod_event("MODIFIED", d.id, false, "CrashLoopBackOff")};
  api_.pods.hold_ms = 0;
  agent_->watch_pods_once();
  agent_->reconcile_once();
  reps = list_replicas(*st_, d.id);
  ASSERT_EQ(reps.size(), 1u);
  EXPECT_FALSE(reps[0].ready);
  EXPECT_EQ(reps[0].restarts, 3);
  auto now = find_deployment(*st_, d.id);
  EXPECT_EQ(now->state, state::kFailed);
  EXPECT_NE(now->reason.find("CrashLoopBackOff"), std::string::npos) << now->reason;

  // Scale: only the Deployment is applied again.
  st_->transact([&](store::Session& s) { set_replica_count(s, d.id, 3); });
  api_.clear();
  agent_->reconcile_once();
  ASSERT_EQ(patches().size(), 1u);
  EXPECT_EQ(bj::parse(patches()[0].body).at("spec").at("replicas").as_int64(), 3);

  // Delete: the objects go, then the rows.
  st_->transact([&](store::Session& s) { set_desired(s, d.id, desired::kDeleted, false); });
  api_.clear();
  agent_->reconcile_once();
  int deletes = 0;
  for (const auto& s : api_.seen()) {
    if (s.method != "DELETE") continue;
    ++deletes;
    EXPECT_NE(s.path.find(name), std::string::npos);
  }
  EXPECT_EQ(deletes, 4);
  EXPECT_FALSE(find_deployment(*st_, d.id));
}

TEST_F(KubeBackend, DatasetGatesTheWorkloadUntilReady) {
  Deployment d = deploy("huggingface://Qwen/Qwen2.5-0.5B-Instruct");
  make_agent();
  agent_->reconcile_once();
  auto applied = patches();
  ASSERT_EQ(applied.size(), 2u);  // Namespace, Dataset
  EXPECT_EQ(applied[1].path, "/apis/dataset.baizeai.io/v1alpha1/namespaces/team-a/datasets/" +
                                 kube_object_name(d) + "-model");
  EXPECT_EQ(bj::parse(applied[1].body).at("spec").at("source").at("type"), "HUGGING_FACE");
  EXPECT_EQ(find_deployment(*st_, d.id)->state, state::kDownloading);

  bj::object ds{{"apiVersion", "dataset.baizeai.io/v1alpha1"},
                {"kind", "Dataset"},
                {"metadata", bj::object{{"name", kube_object_name(d) + "-model"},
                                        {"namespace", "team-a"},
                                        {"labels", bj::object{{kDeploymentLabel, d.id}}}}},
                {"status", bj::object{{"phase", "READY"}, {"pvcName", "dataset-pvc-1"}}}};
  api_.datasets.events = {bj::serialize(bj::object{{"type", "MODIFIED"}, {"object", ds}})};
  agent_->watch_datasets_once();
  api_.clear();
  agent_->reconcile_once();
  applied = patches();
  ASSERT_EQ(applied.size(), 2u);  // Deployment, Service
  bj::value dep = bj::parse(applied[0].body);
  EXPECT_EQ(dep.at("kind"), "Deployment");
  EXPECT_EQ(dep.at("spec")
                .at("template")
                .at("spec")
                .at("volumes")
                .at(0)
                .at("persistentVolumeClaim")
                .at("claimName"),
            "dataset-pvc-1");
  EXPECT_EQ(find_deployment(*st_, d.id)->state, state::kStarting);
}

TEST_F(KubeBackend, RefusedApplyFailsTheDeploymentWithTheServersMessage) {
  Deployment d = deploy("/opt/models/tiny.gguf");
  api_.fail_kind_status = 422;
  make_agent();
  agent_->reconcile_once();
  auto now = find_deployment(*st_, d.id);
  EXPECT_EQ(now->state, state::kFailed);
  EXPECT_NE(now->reason.find("refused by test"), std::string::npos) << now->reason;
  EXPECT_NE(now->reason.find("422"), std::string::npos);
}

TEST(PodView, MapsPodStatesToReplicaStates) {
  auto view = [](const char* json) { return pod_view(bj::parse(json)); };
  EXPECT_EQ(
      view(
          R"({"metadata":{"name":"p"},"status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False","reason":"Unschedulable","message":"0/3 nodes have nvidia.com/gpu"}]}})")
          .state,
      state::kPending);
  EXPECT_EQ(
      view(
          R"({"metadata":{"name":"p"},"status":{"phase":"Pending","containerStatuses":[{"state":{"waiting":{"reason":"ErrImagePull"}}}]}})")
          .state,
      state::kFailed);
  EXPECT_EQ(
      view(R"({"metadata":{"name":"p"},"status":{"phase":"Running","podIP":"1.2.3.4"}})").state,
      state::kStarting);
  EXPECT_EQ(
      view(
          R"({"metadata":{"name":"p","deletionTimestamp":"x"},"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}})")
          .ready,
      false);
  EXPECT_EQ(
      view(R"({"metadata":{"name":"p"},"status":{"phase":"Failed","reason":"Evicted"}})").state,
      state::kFailed);
  PodView worker = view(
      R"({"metadata":{"name":"p","labels":{"leaderworkerset.sigs.k8s.io/worker-index":"1"}},"status":{}})");
  EXPECT_FALSE(worker.serving);
  EXPECT_EQ(view("[]").state, state::kStarting);  // not a pod at all: no crash
}

TEST(Kubeconfig, ReadsServerTokenAndInlineCa) {
  auto dir = std::filesystem::temp_directory_path() / ("hydra-kcfg-" + random_hex(6));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "config").string();
  // "-----BEGIN CERTIFICATE-----\n" in base64
  std::ofstream(path)
      << "apiVersion: v1\nkind: Config\ncurrent-context: edge\n"
         "clusters:\n- name: c1\n  cluster:\n    server: https://10.0.0.1:6443\n"
         "    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==\n"
         "users:\n- name: u1\n  user:\n    token: abc.def\n"
         "contexts:\n- name: edge\n  context:\n    cluster: c1\n    user: u1\n";
  KubeConnection c = kubeconfig_connection(path, dir.string());
  EXPECT_EQ(c.server, "https://10.0.0.1:6443");
  EXPECT_EQ(c.token, "abc.def");
  std::ifstream ca(c.ca_file);
  std::string first;
  std::getline(ca, first);
  EXPECT_EQ(first, "-----BEGIN CERTIFICATE-----");
  std::ofstream(path) << "current-context: nowhere\ncontexts: []\n";
  EXPECT_THROW(kubeconfig_connection(path, dir.string()), std::runtime_error);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hydra::deploy
