// Deployment rows, the route list the gateway reads, capacity checks, the
// launch command of a replica, and the local agent against real child
// processes (no inference runtime needed: the failure paths and adoption).
#include "deploy/deployment.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "auth/users.h"
#include "catalog/runtime_template.h"
#include "common/error.h"
#include "common/random.h"
#include "deploy/capacity.h"
#include "deploy/local_agent.h"
#include "deploy/local_process.h"
#include "deploy/replica_command.h"
#include "store/store.h"

namespace hydra::deploy {
namespace {

class DeployStore : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("hydra-deploy-" + random_hex(8));
    std::filesystem::create_directories(dir_);
    store::StoreOptions opts;
    opts.synchronous = "NORMAL";
    st_ = store::open_store("sqlite:" + (dir_ / "hydra.db").string(), opts);
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
    st_.reset();
    std::filesystem::remove_all(dir_);
  }

  Deployment make(const std::string& name, int64_t replicas = 1) {
    Deployment d;
    d.workspace_id = user_;  // the personal workspace shares the user's id
    d.name = name;
    d.replicas = replicas;
    d.model_path = (dir_ / "model.gguf").string();
    d.served_model_name = name;
    st_->transact([&](store::Session& s) { insert_deployment(s, d); });
    return d;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> st_;
  std::string user_;
};

TEST(DeploymentName, Rule) {
  for (std::string good : {std::string("ab"), std::string("a-b"), std::string("qwen2-0-5b"),
                           std::string("x1"), std::string(64, 'a')}) {
    EXPECT_NO_THROW(check_deployment_name(good)) << good;
  }
  for (std::string bad :
       {std::string("a"), std::string("-ab"), std::string("ab-"), std::string("Ab"),
        std::string("a_b"), std::string("a.b"), std::string(), std::string(65, 'a')}) {
    EXPECT_THROW(check_deployment_name(bad), ApiError) << bad;
  }
}

TEST_F(DeployStore, InsertFindListAndConflict) {
  Deployment d = make("chat", 2);
  EXPECT_EQ(d.access_name.substr(d.access_name.find('/')), "/chat");
  EXPECT_EQ(d.access_name.substr(0, 2), "u-");
  EXPECT_EQ(d.service_id.substr(0, 4), "svc-");
  auto found = find_deployment_by_name(*st_, user_, "chat");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->replicas, 2);
  EXPECT_EQ(found->state, state::kPending);
  try {
    make("chat");
    ADD_FAILURE() << "duplicate name accepted";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConflict);
  }
  DeploymentQuery q;
  q.workspace_id = user_;
  EXPECT_EQ(list_deployments(*st_, q).total, 1);
  q.workspace_id = "someone-else";
  EXPECT_EQ(list_deployments(*st_, q).total, 0);
  EXPECT_EQ(list_events(*st_, d.id, 10).front().reason, "Created");
}

TEST_F(DeployStore, RoutesListReadyReplicasAndDropDeleted) {
  Deployment d = make("chat", 2);
  auto routes = list_deployment_routes(*st_);
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_TRUE(routes[0].endpoints.empty());  // nothing ready yet: a route with no endpoint
  Replica r;
  r.deployment_id = d.id;
  r.index = 0;
  r.ready = true;
  r.endpoint = "http://127.0.0.1:1234/v1";
  save_replica(*st_, r);
  r.index = 1;
  r.ready = false;
  r.endpoint = "http://127.0.0.1:1235/v1";
  save_replica(*st_, r);
  routes = list_deployment_routes(*st_);
  ASSERT_EQ(routes[0].endpoints, std::vector<std::string>{"http://127.0.0.1:1234/v1"});
  EXPECT_EQ(routes[0].workspace_id, user_);
  st_->transact([&](store::Session& s) { set_desired(s, d.id, desired::kDeleted, false); });
  EXPECT_TRUE(list_deployment_routes(*st_).empty());
  purge_deployment(*st_, d.id);
  EXPECT_FALSE(find_deployment(*st_, d.id));
  EXPECT_TRUE(list_replicas(*st_, d.id).empty());
}

TEST_F(DeployStore, CapacityCountsOtherDeployments) {
  Deployment a = make("aa", 2);
  st_->exec("UPDATE deployments SET cpu = 2, memory = 4 WHERE id = ?", {a.id});
  Deployment b = make("bb", 1);
  b.cpu = 3;
  Capacity cap{8, 64, {}};
  EXPECT_NO_THROW(check_fits(*st_, b, 1, cap));         // 4 + 3 of 8 cores
  EXPECT_THROW(check_fits(*st_, b, 2, cap), ApiError);  // 4 + 6 > 8
  b.cpu = 0;
  b.memory = 61;
  EXPECT_THROW(check_fits(*st_, b, 1, cap), ApiError);  // 8 + 61 > 64 GB
  EXPECT_GT(machine_capacity().cpu, 0);
  EXPECT_GT(machine_capacity().memory, 0);
}

TEST_F(DeployStore, HydraEngineLaunchCommand) {
  Deployment d = make("chat");
  d.custom_args = {"--ctx", "256"};
  d.env["EXTRA"] = "1";
  auto rt = catalog::get_runtime_template(*st_, "hydra-engine");
  LaunchSpec spec = replica_launch_spec(d, rt, 4321, "tok", "/tmp/x.log");
  ASSERT_GE(spec.argv.size(), 2u);
  EXPECT_EQ(spec.argv[0], self_executable());
  std::vector<std::string> rest(spec.argv.begin() + 1, spec.argv.end());
  EXPECT_EQ(rest, (std::vector<std::string>{"engine", "serve", "--model", d.model_path,
                                            "--served-model-name", "chat", "--listen",
                                            "127.0.0.1:4321", "--no-access-log", "--ctx", "256"}));
  EXPECT_EQ(spec.env.at(kStartTokenEnv), "tok");
  EXPECT_EQ(spec.env.at("EXTRA"), "1");
}

TEST(LocalProcess, StartTokenIdentifiesAReplica) {
  LaunchSpec spec;
  spec.argv = {"sleep", "30"};
  spec.env[kStartTokenEnv] = "abc123";
  spec.log_path =
      std::filesystem::temp_directory_path() / ("hydra-deploy-" + random_hex(4) + ".log");
  pid_t pid = spawn_process(spec);
  ASSERT_GT(pid, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // exec done
  EXPECT_TRUE(process_has_token(pid, "abc123"));
  EXPECT_FALSE(process_has_token(pid, "abc124"));
  EXPECT_FALSE(process_exited(pid));
  EXPECT_EQ(getpgid(pid), pid);  // its own process group
  stop_process(pid, 2000);
  EXPECT_TRUE(process_exited(pid));
  std::filesystem::remove(spec.log_path);
}

TEST_F(DeployStore, AgentReportsFailedModelFileCheck) {
  Deployment d = make("nofile");
  LocalAgentOptions o;
  o.data_dir = dir_.string();
  LocalAgent agent(*st_, o);
  agent.reconcile_once();
  auto got = find_deployment(*st_, d.id);
  EXPECT_EQ(got->state, state::kFailed);
  EXPECT_NE(got->reason.find("model file check failed"), std::string::npos) << got->reason;
}

TEST_F(DeployStore, AgentRestartsACrashingRuntimeWithBackoffAndStopsOnScaleDown) {
  // A runtime that exits at once: every pass sees a crash and backs off.
  catalog::RuntimeTemplate rt;
  rt.name = "crasher";
  rt.display_name = {"c", "c"};
  rt.command = "/bin/sh";
  rt.args = {"-c", "exit 3"};
  catalog::create_runtime_template(*st_, rt, catalog::system_actor());
  std::ofstream(dir_ / "model.gguf") << "x";
  Deployment d;
  d.workspace_id = user_;
  d.name = "crash";
  d.runtime = "crasher";
  d.model_path = (dir_ / "model.gguf").string();
  d.served_model_name = "crash";
  st_->transact([&](store::Session& s) { insert_deployment(s, d); });

  LocalAgentOptions o;
  o.data_dir = dir_.string();
  o.backoff_initial_ms = 50;
  LocalAgent agent(*st_, o);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  int64_t restarts = 0;
  while (std::chrono::steady_clock::now() < deadline && restarts < 3) {
    agent.reconcile_once();
    auto rs = list_replicas(*st_, d.id);
    restarts = rs.empty() ? 0 : rs[0].restarts;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GE(restarts, 3);
  auto got = find_deployment(*st_, d.id);
  EXPECT_EQ(got->state, state::kFailed);
  EXPECT_NE(got->reason.find("exited with code 3"), std::string::npos) << got->reason;
  EXPECT_TRUE(std::filesystem::exists(dir_ / "deployments" / d.id / "replica-0.log"));

  st_->transact([&](store::Session& s) { set_replica_count(s, d.id, 0); });
  agent.reconcile_once();
  EXPECT_TRUE(list_replicas(*st_, d.id).empty());
}

}  // namespace
}  // namespace hydra::deploy
