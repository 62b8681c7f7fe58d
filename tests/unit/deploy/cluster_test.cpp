// Clusters and the agent protocol: join tokens, heartbeats and silence,
// GPU discovery output, and a full round trip of desired state and
// observed replicas between a control-plane store and an agent's store.
#include "deploy/cluster.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "auth/users.h"
#include "catalog/runtime_template.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/random.h"
#include "deploy/agent_protocol.h"
#include "deploy/host_capacity.h"
#include "deploy/replica_command.h"

namespace hydra::deploy {
namespace {

namespace bj = boost::json;

std::unique_ptr<store::Store> open_temp(const std::filesystem::path& dir, const char* name) {
  store::StoreOptions opts;
  opts.synchronous = "NORMAL";
  auto st = store::open_store("sqlite:" + (dir / name).string(), opts);
  st->migrate();
  return st;
}

class Clusters : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("hydra-cluster-" + random_hex(8));
    std::filesystem::create_directories(dir_);
    server_ = open_temp(dir_, "server.db");
    agent_ = open_temp(dir_, "agent.db");
    catalog::seed_runtime_templates(*server_);
    server_->transact([&](store::Session& s) {
      auth::NewUser u;
      u.name = "alice";
      u.password_hash = "x";
      user_ = auth::create_user(s, u).id;
    });
  }
  void TearDown() override {
    server_.reset();
    agent_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string create(const std::string& name, const std::string& backend = "local") {
    Cluster c;
    c.name = name;
    c.backend = backend;
    std::string token;
    server_->transact([&](store::Session& s) { token = insert_cluster(s, c); });
    return token;
  }

  Deployment deploy(const std::string& name, const std::string& cluster, int64_t replicas) {
    Deployment d;
    d.workspace_id = user_;
    d.name = name;
    d.cluster = cluster;
    d.replicas = replicas;
    d.model_path = "/models/tiny.gguf";
    d.served_model_name = name;
    d.custom_args = {"--ctx", "256"};
    server_->transact([&](store::Session& s) { insert_deployment(s, d); });
    return d;
  }

  // One agent round without the network: pull, mirror, observe, report.
  bool round_trip(const Cluster& c) {
    bj::value desired = desired_deployments(*server_, c.name);
    mirror_desired_deployments(*agent_, desired);
    AgentReport r = build_agent_report(*agent_, AgentInfo{"edge-1", "v", "local", 500},
                                       ClusterCapacity{8, 32, {}}, "10.0.0.7");
    // What the server receives went through JSON.
    AgentReport wire = agent_report_from_json(bj::value(to_json(r)));
    record_heartbeat(*server_, c.name, wire.agent, wire.capacity);
    return apply_agent_report(*server_, c, wire);
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> server_, agent_;
  std::string user_;
};

TEST_F(Clusters, JoinTokenIsShownOnceAndOnlyItsHashIsStored) {
  std::string token = create("edge");
  EXPECT_EQ(token.rfind("hct_", 0), 0u);
  EXPECT_GE(token.size(), 4u + 48u);
  auto rows = server_->query("SELECT token_hash FROM clusters WHERE name = 'edge'");
  EXPECT_EQ(rows[0].str("token_hash"), sha256_hex(token));
  EXPECT_EQ(authenticate_agent(*server_, "edge", token).name, "edge");
  for (const std::string& bad : {std::string(""), token + "x", std::string("hct_nope")}) {
    try {
      authenticate_agent(*server_, "edge", bad);
      FAIL() << "accepted " << bad;
    } catch (const ApiError& e) {
      EXPECT_EQ(e.http_status(), 401);
    }
  }
  EXPECT_THROW(authenticate_agent(*server_, "nowhere", token), ApiError);
  std::string fresh;
  server_->transact([&](store::Session& s) { fresh = rotate_cluster_token(s, "edge"); });
  EXPECT_NE(fresh, token);
  EXPECT_THROW(authenticate_agent(*server_, "edge", token), ApiError);
  EXPECT_EQ(authenticate_agent(*server_, "edge", fresh).name, "edge");
}

TEST_F(Clusters, NamesBackendsAndDuplicatesAreChecked) {
  create("edge");
  EXPECT_THROW(create("edge"), ApiError);
  EXPECT_THROW(create("Edge_1"), ApiError);
  EXPECT_THROW(create("gpu", "slurm"), ApiError);
  create("k8s", "kubernetes");
  int64_t total = 0;
  auto all = list_clusters(*server_, 0, 10, &total);
  EXPECT_EQ(total, 2);
  ASSERT_EQ(all.size(), 2u);
  for (const auto& c : all) {
    EXPECT_EQ(c.backend, c.name == "k8s" ? "kubernetes" : "local");
    EXPECT_EQ(c.state, cluster_state::kPending);
  }
}

TEST_F(Clusters, SilentAgentsBecomeUnreachableAfterThreeHeartbeats) {
  create("edge");
  EXPECT_EQ(record_heartbeat(*server_, "edge", AgentInfo{"h", "v", "local", 1000},
                             ClusterCapacity{16, 64, {Gpu{"NVIDIA L40S", 45}}}),
            cluster_state::kPending);
  auto c = *find_cluster(*server_, "edge");
  EXPECT_EQ(c.state, cluster_state::kReachable);
  EXPECT_EQ(c.capacity.cpu, 16);
  ASSERT_EQ(c.capacity.gpus.size(), 1u);
  EXPECT_EQ(c.capacity.gpus[0].name, "NVIDIA L40S");
  int64_t beat = c.last_heartbeat_at;
  EXPECT_TRUE(mark_silent_clusters(*server_, beat + 2999).empty());
  EXPECT_EQ(mark_silent_clusters(*server_, beat + 3001), std::vector<std::string>{"edge"});
  EXPECT_EQ(find_cluster(*server_, "edge")->state, cluster_state::kUnreachable);
  EXPECT_TRUE(mark_silent_clusters(*server_, beat + 9000).empty());  // reported once
  EXPECT_EQ(record_heartbeat(*server_, "edge", AgentInfo{"h", "v", "local", 1000}, {}),
            cluster_state::kUnreachable);
  EXPECT_EQ(find_cluster(*server_, "edge")->state, cluster_state::kReachable);
}

TEST_F(Clusters, LocalClusterIsRegisteredOnceAndCapacityComesFromReports) {
  ensure_local_cluster(*server_);
  ensure_local_cluster(*server_);
  int64_t total = 0;
  list_clusters(*server_, 0, 10, &total);
  EXPECT_EQ(total, 1);
  create("edge");
  EXPECT_GT(schedulable_capacity(*server_, "edge").cpu, 1e9);  // unknown until it reports
  EXPECT_FALSE(schedulable_capacity(*server_, "edge").gpus);   // GPUs too
  record_heartbeat(*server_, "edge", AgentInfo{"h", "v", "local", 1000}, ClusterCapacity{4, 8, {}});
  EXPECT_EQ(schedulable_capacity(*server_, "edge").cpu, 4);
  EXPECT_EQ(schedulable_capacity(*server_, "edge").memory, 8);
  ASSERT_TRUE(schedulable_capacity(*server_, "edge").gpus);  // counted: it has none
  EXPECT_TRUE(schedulable_capacity(*server_, "edge").gpus->empty());
  EXPECT_GT(schedulable_capacity(*server_, "local").cpu, 0);
}

TEST_F(Clusters, DeleteRefusesWhileDeploymentsRemain) {
  create("edge");
  deploy("chat", "edge", 1);
  auto c = *find_cluster(*server_, "edge");
  EXPECT_THROW(server_->transact([&](store::Session& s) { delete_cluster(s, c); }), ApiError);
  server_->exec("DELETE FROM deployments");
  server_->transact([&](store::Session& s) { delete_cluster(s, c); });
  EXPECT_FALSE(find_cluster(*server_, "edge"));
}

TEST(NvidiaSmi, ParsesNamesAndMemory) {
  auto gpus = parse_nvidia_smi(
      "NVIDIA A100-SXM4-80GB, 81920\nNVIDIA GeForce RTX 4090, 24564\n\ngarbage\nX, abc\n");
  ASSERT_EQ(gpus.size(), 2u);
  EXPECT_EQ(gpus[0].name, "NVIDIA A100-SXM4-80GB");
  EXPECT_DOUBLE_EQ(gpus[0].memory_gb, 80);
  EXPECT_EQ(gpus[1].name, "NVIDIA GeForce RTX 4090");
  EXPECT_NEAR(gpus[1].memory_gb, 23.99, 0.01);
  EXPECT_TRUE(parse_nvidia_smi("").empty());
}

TEST(HostCapacity, ReportsThisMachine) {
  ClusterCapacity c = host_capacity();
  EXPECT_GE(c.cpu, 1);
  EXPECT_GT(c.memory, 0.1);
}

TEST_F(Clusters, DesiredStateAndObservedReplicasRoundTrip) {
  create("edge");
  Cluster c = *find_cluster(*server_, "edge");
  Deployment d = deploy("chat", "edge", 2);
  deploy("elsewhere", "local", 1);

  EXPECT_FALSE(round_trip(c));
  // The agent's store holds the edge deployment only, with its runtime template.
  auto mirrored = find_deployment(*agent_, d.id);
  ASSERT_TRUE(mirrored);
  EXPECT_EQ(mirrored->replicas, 2);
  EXPECT_EQ(mirrored->custom_args, (std::vector<std::string>{"--ctx", "256"}));
  EXPECT_EQ(mirrored->cluster, "edge");
  EXPECT_EQ(catalog::get_runtime_template(*agent_, "hydra-engine").name, "hydra-engine");
  DeploymentQuery all;
  all.limit = 100;
  EXPECT_EQ(list_deployments(*agent_, all).total, 1);

  // The agent's backend observes replica 0 ready, replica 1 starting.
  Replica r0;
  r0.deployment_id = d.id;
  r0.index = 0;
  r0.state = state::kRunning;
  r0.ready = true;
  r0.pid = 4242;
  r0.port = 41000;
  r0.endpoint = "http://127.0.0.1:41000/v1";
  save_replica(*agent_, r0);
  Replica r1 = r0;
  r1.index = 1;
  r1.state = state::kStarting;
  r1.ready = false;
  r1.endpoint = "http://127.0.0.1:41001/v1";
  save_replica(*agent_, r1);
  set_deployment_state(*agent_, d.id, state::kDegraded, "1 of 2 replicas ready");
  add_event(*agent_, d.id, "Normal", "Ready", "replica 0 answers GET /health");

  EXPECT_TRUE(round_trip(c));  // a replica became ready: routes changed
  auto on_server = list_replicas(*server_, d.id);
  ASSERT_EQ(on_server.size(), 2u);
  EXPECT_EQ(on_server[0].endpoint, "http://10.0.0.7:41000/v1");  // advertised address
  EXPECT_TRUE(on_server[0].ready);
  EXPECT_EQ(on_server[0].pid, 4242);
  EXPECT_EQ(find_deployment(*server_, d.id)->state, state::kDegraded);
  ReplicaCounts counts = count_cluster_replicas(*server_, "edge");
  EXPECT_EQ(counts.deployments, 1);
  EXPECT_EQ(counts.replicas, 2);
  EXPECT_EQ(counts.ready, 1);
  bool route = false;
  for (const auto& rt : list_deployment_routes(*server_)) {
    if (rt.access_name == d.access_name) {
      route = true;
      EXPECT_EQ(rt.endpoints, std::vector<std::string>{"http://10.0.0.7:41000/v1"});
    }
  }
  EXPECT_TRUE(route);
  bool forwarded = false;
  for (const auto& e : list_events(*server_, d.id, 50)) forwarded |= e.reason == "Ready";
  EXPECT_TRUE(forwarded);
  EXPECT_FALSE(round_trip(c));  // nothing new: no route change, events not duplicated
  int ready_events = 0;
  for (const auto& e : list_events(*server_, d.id, 50)) ready_events += e.reason == "Ready";
  EXPECT_EQ(ready_events, 1);

  // Scale on the server: the mirror follows.
  server_->transact([&](store::Session& s) { set_replica_count(s, d.id, 3); });
  round_trip(c);
  EXPECT_EQ(find_deployment(*agent_, d.id)->replicas, 3);

  // Delete: the agent marks it deleted; once its backend purged it, the server purges too.
  server_->transact([&](store::Session& s) { set_desired(s, d.id, desired::kDeleted, false); });
  round_trip(c);
  EXPECT_EQ(find_deployment(*agent_, d.id)->desired, desired::kDeleted);
  EXPECT_TRUE(find_deployment(*server_, d.id));
  purge_deployment(*agent_, d.id);  // what LocalAgent does after stopping the replicas
  EXPECT_TRUE(round_trip(c));
  EXPECT_FALSE(find_deployment(*server_, d.id));
  EXPECT_TRUE(list_replicas(*server_, d.id).empty());
}

TEST_F(Clusters, ANameStillHeldByAForgottenDeploymentWaitsInsteadOfFailingTheRound) {
  Cluster c;
  c.name = "edge";
  create("edge");
  Deployment old = deploy("chat", "edge", 1);
  Deployment other = deploy("other", "edge", 1);
  round_trip(c);
  ASSERT_TRUE(find_deployment(*agent_, old.id));
  // The server forgets the old one (deleted and purged) and takes the name
  // again, while the agent still holds the old row for its stopping replicas.
  server_->exec("DELETE FROM deployments WHERE id = ?", {old.id});
  Deployment fresh = deploy("chat", "edge", 2);
  server_->exec("UPDATE deployments SET replicas = 3 WHERE id = ?", {other.id});
  bj::value desired = desired_deployments(*server_, "edge");
  EXPECT_NO_THROW(mirror_desired_deployments(*agent_, desired));
  EXPECT_FALSE(find_deployment(*agent_, fresh.id));            // waits for the name
  EXPECT_EQ(find_deployment(*agent_, other.id)->replicas, 3);  // the rest of the round ran
  EXPECT_EQ(find_deployment(*agent_, old.id)->desired, desired::kDeleted);
  // Once the old row is purged, the next round mirrors the new one.
  agent_->exec("DELETE FROM deployments WHERE id = ?", {old.id});
  mirror_desired_deployments(*agent_, desired);
  ASSERT_TRUE(find_deployment(*agent_, fresh.id));
  EXPECT_EQ(find_deployment(*agent_, fresh.id)->replicas, 2);
}

TEST_F(Clusters, ReportsOfAnotherClusterAreIgnored) {
  create("edge");
  create("other");
  Deployment d = deploy("chat", "other", 1);
  AgentReport r;
  DeploymentReport dr;
  dr.id = d.id;
  dr.state = state::kRunning;
  Replica x;
  x.deployment_id = d.id;
  x.state = state::kRunning;
  x.ready = true;
  x.endpoint = "http://evil:1/v1";
  dr.replicas.push_back(x);
  r.deployments.push_back(dr);
  EXPECT_FALSE(apply_agent_report(*server_, *find_cluster(*server_, "edge"), r));
  EXPECT_TRUE(list_replicas(*server_, d.id).empty());
}

// A remote agent's replicas listen where the gateway can reach them.
TEST(ReplicaHost, RemoteAgentReplicasListenOnTheGivenHost) {
  Deployment d;
  d.model_path = "/m.gguf";
  d.served_model_name = "m";
  catalog::RuntimeTemplate engine;
  for (const auto& rt : catalog::builtin_runtime_templates()) {
    if (rt.name == "hydra-engine") engine = rt;
  }
  auto joined = [](const LaunchSpec& s) {
    std::string out;
    for (const auto& a : s.argv) out += a + " ";
    return out;
  };
  EXPECT_NE(joined(replica_launch_spec(d, engine, 9000, "t", "/tmp/l")).find("127.0.0.1:9000"),
            std::string::npos);
  EXPECT_NE(
      joined(replica_launch_spec(d, engine, 9000, "t", "/tmp/l", "0.0.0.0")).find("0.0.0.0:9000"),
      std::string::npos);
}

TEST(AgentReportJson, RejectsMalformedReports) {
  auto bad = [](const char* text) {
    try {
      agent_report_from_json(bj::parse(text));
      return false;
    } catch (const ApiError& e) {
      return e.http_status() == 400;
    }
  };
  EXPECT_TRUE(bad(R"([])"));
  EXPECT_TRUE(bad(R"({"surprise":1})"));
  EXPECT_TRUE(bad(R"({"agent":{"heartbeat_ms":5}})"));
  EXPECT_TRUE(bad(R"({"agent":{"backend":"slurm"}})"));
  EXPECT_TRUE(bad(R"({"capacity":{"cpu":-1}})"));
  EXPECT_TRUE(bad(R"({"deployments":[{"id":"x"}]})"));
  EXPECT_TRUE(bad(
      R"({"deployments":[{"id":"x","state":"Running","replicas":[{"index":-1,"state":"Running"}]}]})"));
  AgentReport ok = agent_report_from_json(bj::parse(
      R"({"agent":{"host":"h","backend":"kubernetes","heartbeat_ms":1000},"capacity":{"cpu":2,"memory":4,"gpus":[{"name":"g","memory_gb":16}]},"deployments":[]})"));
  EXPECT_EQ(ok.agent.backend, "kubernetes");
  EXPECT_EQ(ok.capacity.gpus.size(), 1u);
}

}  // namespace
}  // namespace hydra::deploy
