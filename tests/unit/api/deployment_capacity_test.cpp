// The fit check of the deployment routes: CPU, memory and GPUs asked for
// by deployment templates against what clusters reported, on create,
// scale and start, called through the router against SQLite in a temp dir.
#include <gtest/gtest.h>

#include <filesystem>

#include "api/routes.h"
#include "catalog/deployment_template.h"
#include "catalog/model_store.h"
#include "catalog/runtime_template.h"
#include "common/error.h"
#include "common/json.h"
#include "deploy/capacity.h"
#include "deploy/cluster.h"
#include "deploy/deployment.h"
#include "route_test.h"

namespace hydra::api {
namespace {

namespace bj = boost::json;

class DeploymentCapacity : public testing::RouteTest {
 protected:
  DeploymentCapacity() : RouteTest("deploy") {}
  void SetUp() override {
    RouteTest::SetUp();
    register_deployment_routes(router_, *ctx_);
    catalog::Model m;
    m.id = "qwen";
    catalog::create_model(*store_, m, catalog::system_actor());
    deploy::ensure_local_cluster(*store_);
    // As the cluster monitor reports this machine: no GPU (whatever the test machine has).
    deploy::record_heartbeat(*store_, deploy::kLocalCluster,
                             deploy::AgentInfo{"", "", "local", 2000},
                             deploy::ClusterCapacity{64, 256, {}});
  }
  // A template of model qwen; `resources` and `distributed` as the API takes them.
  std::string make_template(const std::string& name, const std::string& resources,
                            const std::string& distributed = "{}") {
    auto t = catalog::deployment_template_from_json(json::parse(
        R"({"model_id":"qwen","name":")" + name + R"(","runtime":"hydra-engine","resources":)" +
        resources + R"(,"distributed":)" + distributed + "}"));
    return catalog::create_deployment_template(*store_, t, catalog::system_actor()).id;
  }

  void make_cluster(const std::string& name, const std::string& backend,
                    std::vector<deploy::Gpu> gpus) {
    deploy::Cluster c;
    c.name = name;
    c.backend = backend;
    store_->transact([&](store::Session& s) { deploy::insert_cluster(s, c); });
    deploy::record_heartbeat(*store_, name, deploy::AgentInfo{"h", "v", backend, 1000},
                             deploy::ClusterCapacity{64, 256, std::move(gpus)});
  }

  // As the administrator.
  http::Response call(const std::string& method, const std::string& target,
                      const std::string& body = {}) {
    return RouteTest::call(method, target, admin_, body);
  }

  http::Response create(const std::string& name, const std::string& template_id,
                        const std::string& cluster, int64_t replicas) {
    return call("POST", "/api/v1/deployments",
                R"({"name":")" + name + R"(","template":")" + template_id +
                    R"(","model_path":"/models/qwen.gguf","cluster":")" + cluster +
                    R"(","replicas":)" + std::to_string(replicas) + "}");
  }

  std::string id_of(const http::Response& r) {
    return std::string(bj::parse(r.body).at("id").as_string());
  }

  // The refusal's code, param and message, PARAM_ERROR in the platform's shape.
  void expect_refused(const http::Response& r, const std::string& message) {
    ASSERT_EQ(r.status, 400) << r.body;
    bj::value e = bj::parse(r.body).at("error");
    EXPECT_EQ(e.at("code").as_string(), "500002") << r.body;
    EXPECT_EQ(e.at("type").as_string(), "PARAM_ERROR");
    EXPECT_EQ(e.at("param").as_string(), "replicas");
    EXPECT_EQ(std::string(e.at("message").as_string()), message);
  }

  int64_t count(const std::string& sql, std::vector<store::Value> args = {}) {
    return store_->query(sql, std::move(args))[0].i64("n");
  }
};

const deploy::Gpu kA100{"NVIDIA A100-SXM4-80GB", 80};

TEST_F(DeploymentCapacity, GpusPerReplicaAgainstTheClusterOnCreateScaleAndStart) {
  make_cluster("edge", "local", {kA100, kA100});
  std::string one = make_template("one-gpu", R"({"gpuType":"gpu","gpuCount":1})");
  http::Response r = create("chat", one, "edge", 2);
  ASSERT_EQ(r.status, 201) << r.body;  // 2 x 1 of 2 GPUs
  std::string chat = id_of(r);

  r = call("POST", "/api/v1/deployments/" + chat + "/scale", R"({"replicas":3})");
  expect_refused(r, "insufficient gpu on cluster 'edge': 3 requested in all, 2 available");
  EXPECT_EQ(deploy::find_deployment(*store_, chat)->replicas, 2);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM audit_events WHERE action = ?",
                  {std::string("UpdateWSModelServingReplicas")}),
            0);

  // Stopped, it leaves its GPUs to another; started again, it would not fit.
  ASSERT_EQ(call("POST", "/api/v1/deployments/" + chat + "/actions", R"({"action":"stop"})").status,
            200);
  r = create("other", one, "edge", 1);
  ASSERT_EQ(r.status, 201) << r.body;
  r = call("POST", "/api/v1/deployments/" + chat + "/actions", R"({"action":"start"})");
  expect_refused(r, "insufficient gpu on cluster 'edge': 3 requested in all, 2 available");
  EXPECT_EQ(deploy::find_deployment(*store_, chat)->desired, deploy::desired::kStopped);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM audit_events WHERE action = ?",
                  {std::string("DoModelWSServingAction")}),
            1);  // the stop only

  // A created deployment counts the running ones.
  r = create("third", one, "edge", 2);
  expect_refused(r, "insufficient gpu on cluster 'edge': 3 requested in all, 2 available");
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM deployments"), 2);
}

TEST_F(DeploymentCapacity, AReplicaSpanningNodesTakesGpusOnEach) {
  make_cluster("edge", "local", {kA100, kA100, kA100});
  std::string two_nodes = make_template("two-nodes", R"({"gpuType":"gpu","gpuCount":1})",
                                        R"({"tp":1,"pp":2,"nodes":2})");
  http::Response r = create("big", two_nodes, "edge", 2);
  expect_refused(r, "insufficient gpu on cluster 'edge': 4 requested in all, 3 available");
  EXPECT_EQ(create("big", two_nodes, "edge", 1).status, 201);
}

TEST_F(DeploymentCapacity, GpuTypeCountsOnlyMatchingGpus) {
  make_cluster("edge", "local", {kA100, kA100});
  std::string h100 = make_template("h100", R"({"gpuType":"nvidia-h100","gpuCount":1})");
  http::Response r = create("chat", h100, "edge", 1);
  expect_refused(r,
                 "insufficient gpu on cluster 'edge': 1 requested in all, 0 available of "
                 "gpu type 'nvidia-h100'");
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM deployments"), 0);

  std::string a100 = make_template("a100", R"({"gpuType":"nvidia-a100","gpuCount":1})");
  EXPECT_EQ(create("chat", a100, "edge", 2).status, 201);

  EXPECT_TRUE(deploy::gpu_type_matches("gpu", "Tesla T4"));
  EXPECT_TRUE(deploy::gpu_type_matches("nvidia-vgpu", "GRID A100-4C"));
  EXPECT_TRUE(deploy::gpu_type_matches("nvidia-a100", "NVIDIA A100-SXM4-80GB"));
  EXPECT_FALSE(deploy::gpu_type_matches("nvidia-a10", "NVIDIA A100-SXM4-80GB"));
  EXPECT_FALSE(deploy::gpu_type_matches("metax-gpu", "NVIDIA A100-SXM4-80GB"));
}

TEST_F(DeploymentCapacity, TypedAndAnyGpuDeploymentsShareTheGpus) {
  make_cluster("edge", "local", {kA100, {"NVIDIA L40S", 48}});
  std::string a100 = make_template("a100", R"({"gpuType":"nvidia-a100","gpuCount":1})");
  std::string any = make_template("any", R"({"gpuType":"gpu","gpuCount":1})");
  ASSERT_EQ(create("any", any, "edge", 1).status, 201);  // may take the L40S
  ASSERT_EQ(create("a100", a100, "edge", 1).status, 201);
  // Another A100 deployment: the only A100 is taken, whatever the other uses.
  expect_refused(create("a100-b", a100, "edge", 1),
                 "insufficient gpu on cluster 'edge': 2 requested in all, 1 available of gpu "
                 "type 'nvidia-a100'");
  expect_refused(create("any-b", any, "edge", 1),
                 "insufficient gpu on cluster 'edge': 3 requested in all, 2 available");
}

TEST_F(DeploymentCapacity, LocalClusterWithoutGpusTakesCpuDeploymentsOnly) {
  std::string gpu = make_template("one-gpu", R"({"gpuType":"gpu","gpuCount":1})");
  std::string cpu = make_template("cpu", R"({"gpuType":"cpu","cpu":1,"memory":1})");
  expect_refused(create("gpu", gpu, "local", 1),
                 "insufficient gpu on cluster 'local': 1 requested in all, 0 available");
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM deployments"), 0);
  EXPECT_EQ(create("cpu", cpu, "local", 1).status, 201);
  EXPECT_EQ(deploy::schedulable_capacity(*store_, "local").gpus->size(), 0u);
}

TEST_F(DeploymentCapacity, KubernetesClusterWithoutReportedGpusLeavesThemToTheScheduler) {
  std::string gpu = make_template("one-gpu", R"({"gpuType":"gpu","gpuCount":1})");
  make_cluster("k8s", "kubernetes", {});
  EXPECT_FALSE(deploy::schedulable_capacity(*store_, "k8s").gpus);
  EXPECT_EQ(create("chat", gpu, "k8s", 4).status, 201);
  // One that reports GPUs is held to them.
  make_cluster("k8s-gpu", "kubernetes", {kA100});
  expect_refused(create("chat", gpu, "k8s-gpu", 2),
                 "insufficient gpu on cluster 'k8s-gpu': 2 requested in all, 1 available");
  // An agent that has not reported yet bounds nothing.
  deploy::Cluster quiet;
  quiet.name = "quiet";
  store_->transact([&](store::Session& s) { deploy::insert_cluster(s, quiet); });
  EXPECT_EQ(create("waiting", gpu, "quiet", 2).status, 201);
}

}  // namespace
}  // namespace hydra::api
