// A remote cluster on loopback: a real `hydra serve` and a real
// `hydra agent` joining it as cluster `edge` with an administrator's join
// token. A deployment on `edge` is started by the agent (not the server),
// reaches Running, answers through the server's gateway and has its log
// read through the server's API and CLI; stopping the
// agent makes the cluster unreachable; a restarted agent adopts the
// replica; deleting stops it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include "api_helpers.h"
#include "hydra_process.h"

namespace hydra::itest {
namespace {

using Clock = std::chrono::steady_clock;

int64_t ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

std::string proc_stat(int64_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// Alive and not a zombie.
bool alive(int64_t pid) {
  if (pid <= 0 || kill(static_cast<pid_t>(pid), 0) != 0) return false;
  std::string st = proc_stat(pid);
  size_t paren = st.rfind(')');
  return paren != std::string::npos && paren + 2 < st.size() && st[paren + 2] != 'Z';
}

int64_t parent_of(int64_t pid) {
  std::string st = proc_stat(pid);
  size_t paren = st.rfind(')');
  if (paren == std::string::npos) return -1;
  // ") S PPID ..."
  return std::stoll(st.substr(paren + 4));
}

// A `hydra agent` child process with its output in a file.
class AgentProcess {
 public:
  AgentProcess(std::vector<std::string> args, std::string log)
      : args_(std::move(args)), log_(std::move(log)) {}
  ~AgentProcess() { stop(); }

  void start() {
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      std::vector<char*> argv;
      for (auto& a : args_) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  // SIGTERM and wait; the exit code (-1 when it had to be killed).
  int stop() {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    int status = 0;
    auto t = Clock::now();
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (ms_since(t) > 10000) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        pid_ = -1;
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  pid_t pid() const { return pid_; }
  std::string log() const { return read_file(log_); }

 private:
  std::vector<std::string> args_;
  std::string log_;
  pid_t pid_ = -1;
};

class Agent : public ::testing::Test {
 protected:
  void SetUp() override {
    hydra_.start();
    api_ = std::make_unique<Api>(hydra_.url());
    admin_ = api_->login("admin", kAdminPassword);
    model_ = hydra_.dir() + "/tiny.gguf";
    RunResult made = run_command(
        {HYDRA_BINARY, "engine", "make-test-model", "--arch", "qwen2", "--vocab",
         std::string(HYDRA_TESTDATA_DIR) + "/vocab/ggml-vocab-gpt-2.gguf", "--layers", "1",
         "--hidden", "32", "--heads", "2", "--seed", "7", "--chat-template",
         std::string(HYDRA_TESTDATA_DIR) + "/chat-templates/Qwen-Qwen2.5-7B-Instruct.jinja", "-o",
         model_},
        {});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    key_ = str_of(
        api_->expect(201, "POST", "/api/v1/api-keys", bj::object{{"name", "app"}}, admin_), "key");
  }
  void TearDown() override {
    for (int64_t pid : replica_pids_) {
      if (alive(pid)) kill(static_cast<pid_t>(pid), SIGKILL);
    }
  }

  std::unique_ptr<AgentProcess> agent(const std::string& token) {
    return std::make_unique<AgentProcess>(
        std::vector<std::string>{HYDRA_BINARY, "agent", "--server", hydra_.url(), "--token", token,
                                 "--name", "edge", "--backend", "local", "--data-dir",
                                 hydra_.dir() + "/agent", "--heartbeat-ms", "300"},
        hydra_.dir() + "/agent.log");
  }

  bj::value cluster(const std::string& name) {
    return api_->expect(200, "GET", "/api/v1/clusters/" + name, nullptr, admin_);
  }

  // Waits until the cluster's state is `want`; the time it took, or -1.
  int64_t wait_state(const std::string& name, const std::string& want, int64_t timeout_ms) {
    auto t = Clock::now();
    while (ms_since(t) < timeout_ms) {
      if (str_of(cluster(name), "state") == want) return ms_since(t);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }

  // The ready replica's pid once the deployment is Running, or -1.
  int64_t wait_running(const std::string& name, int64_t timeout_ms) {
    auto t = Clock::now();
    while (ms_since(t) < timeout_ms) {
      bj::value d = api_->expect(200, "GET", "/api/v1/deployments/" + name, nullptr, admin_);
      for (const auto& r : d.at("replica_status").as_array()) {
        int64_t pid = r.at("pid").to_number<int64_t>();
        if (pid > 0) replica_pids_.push_back(pid);
        if (str_of(d, "state") == "Running" && r.at("ready").as_bool()) return pid;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

  http::ClientResponse chat(const std::string& model) {
    bj::object body{{"model", model},
                    {"messages", bj::array{bj::object{{"role", "user"}, {"content", "Hello"}}}},
                    {"max_tokens", 4}};
    return api_->call("POST", "/v1/chat/completions", bj::serialize(body), key_);
  }

  HydraProcess hydra_;
  std::unique_ptr<Api> api_;
  std::string admin_, model_, key_;
  std::vector<int64_t> replica_pids_;
};

TEST_F(Agent, RemoteClusterRunsDeploymentsAndGoesUnreachableWhenSilent) {
  // The server registered its own cluster.
  bj::value local = cluster("local");
  EXPECT_EQ(str_of(local, "state"), "reachable");
  EXPECT_GE(local.at("capacity").at("cpu").to_number<double>(), 1);

  bj::value created = api_->expect(201, "POST", "/api/v1/clusters",
                                   bj::object{{"name", "edge"}, {"region", "lab"}}, admin_);
  std::string token = str_of(created, "token");
  ASSERT_EQ(token.rfind("hct_", 0), 0u);
  EXPECT_EQ(str_of(created, "state"), "pending");
  EXPECT_FALSE(cluster("edge").as_object().contains("token"));  // shown once
  EXPECT_TRUE(is_error(api_->call("POST", "/api/v1/clusters", R"({"name":"edge"})", admin_), 409));
  EXPECT_TRUE(is_error(
      api_->call("POST", "/api/v1/clusters/edge/agent/heartbeat", "{}", "hct_wrong"), 401));
  EXPECT_TRUE(is_error(
      api_->call("POST", "/api/v1/clusters", R"({"name":"x1","color":"red"})", admin_), 400));

  // A wrong token: the agent refuses to start.
  RunResult refused =
      run_command({HYDRA_BINARY, "agent", "--server", hydra_.url(), "--token", "hct_nope", "--name",
                   "edge", "--data-dir", hydra_.dir() + "/refused"},
                  {}, 20000);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("not valid"), std::string::npos) << refused.err;

  auto a = agent(token);
  auto joined_at = Clock::now();
  a->start();
  ASSERT_GE(wait_state("edge", "reachable", 10000), 0) << a->log();
  std::cout << "[ figures ] agent start to cluster reachable: " << ms_since(joined_at) << " ms\n";
  bj::value edge = cluster("edge");
  EXPECT_GE(edge.at("capacity").at("cpu").to_number<double>(), 1);
  EXPECT_GT(edge.at("capacity").at("memory").to_number<double>(), 0);
  EXPECT_EQ(edge.at("agent").at("heartbeat_ms").to_number<int64_t>(), 300);

  // A deployment on `edge` is run by the agent's process, not the server's.
  auto created_at = Clock::now();
  bj::value d = api_->expect(
      201, "POST", "/api/v1/deployments",
      bj::object{{"name", "edge-chat"}, {"model_path", model_}, {"cluster", "edge"}}, admin_);
  std::string access = str_of(d, "access_name");
  int64_t pid = wait_running("edge-chat", 20000);
  ASSERT_GT(pid, 0) << a->log();
  int64_t to_running = ms_since(created_at);
  std::cout << "[ figures ] remote deployment create to Running: " << to_running << " ms\n";
  EXPECT_EQ(parent_of(pid), a->pid());
  EXPECT_NE(parent_of(pid), hydra_.pid());
  EXPECT_EQ(cluster("edge").at("ready_replicas").to_number<int64_t>(), 1);
  bj::value events =
      api_->expect(200, "GET", "/api/v1/deployments/edge-chat", nullptr, admin_).at("events");
  bool ready_event = false;
  for (const auto& e : events.as_array()) ready_event |= str_of(e, "reason") == "Ready";
  EXPECT_TRUE(ready_event) << bj::serialize(events);

  // Reachable through the server's gateway by its access name.
  auto reply = chat(access);
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_FALSE(parse_json(reply.body).at("choices").as_array().empty());

  // The replica's log, written on the agent's machine, is read through the
  // server's API and CLI: it arrives with the heartbeats.
  std::string agent_log = hydra_.dir() + "/agent/deployments/" + str_of(d, "id") + "/replica-0.log";
  std::string served_log;
  auto log_wait = Clock::now();
  while (ms_since(log_wait) < 10000) {
    auto r = api_->call("GET", "/api/v1/deployments/edge-chat/logs?replica=0", "", admin_);
    served_log = r.status == 200 ? r.body : "";
    if (!served_log.empty() && served_log == read_file(agent_log)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_FALSE(served_log.empty());
  EXPECT_EQ(served_log, read_file(agent_log));
  std::cout << "[ figures ] remote replica log through the API after " << ms_since(log_wait)
            << " ms (" << served_log.size() << " bytes)\n";
  RunResult cli_logs = run_command({HYDRA_BINARY, "deploy", "logs", "edge-chat", "--replica", "0"},
                                   {{"HYDRA_SERVER", hydra_.url()}, {"HYDRA_TOKEN", admin_}});
  EXPECT_EQ(cli_logs.exit_code, 0) << cli_logs.err;
  EXPECT_EQ(cli_logs.out, served_log);

  // A cluster with deployments cannot be deleted; an unknown cluster is refused.
  EXPECT_TRUE(is_error(api_->call("DELETE", "/api/v1/clusters/edge", "", admin_), 409));
  EXPECT_TRUE(is_error(api_->call("POST", "/api/v1/deployments",
                                  bj::serialize(bj::object{
                                      {"name", "x2"}, {"model_path", model_}, {"cluster", "mars"}}),
                                  admin_),
                       400));

  // The agent stops: the server marks the cluster unreachable; the replica keeps running.
  ASSERT_EQ(a->stop(), 0);
  auto stopped_at = Clock::now();
  int64_t unreachable_ms = wait_state("edge", "unreachable", 10000);
  ASSERT_GE(unreachable_ms, 0);
  std::cout << "[ figures ] agent stopped to cluster unreachable: " << ms_since(stopped_at)
            << " ms (heartbeat 300 ms)\n";
  EXPECT_TRUE(alive(pid));

  // A new agent on the same data directory adopts the replica (same pid).
  auto again = agent(token);
  again->start();
  ASSERT_GE(wait_state("edge", "reachable", 10000), 0) << again->log();
  EXPECT_EQ(wait_running("edge-chat", 10000), pid);
  ASSERT_EQ(chat(access).status, 200);

  // Delete: the agent stops the replica and the server forgets the deployment.
  api_->expect(204, "DELETE", "/api/v1/deployments/edge-chat", nullptr, admin_);
  auto t = Clock::now();
  while (alive(pid) && ms_since(t) < 15000)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(alive(pid));
  EXPECT_TRUE(is_error(chat(access), 404));
  t = Clock::now();
  while (ms_since(t) < 5000 && cluster("edge").at("deployments").to_number<int64_t>() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  t = Clock::now();
  while (ms_since(t) < 5000 &&
         api_->call("DELETE", "/api/v1/clusters/edge", "", admin_).status != 204) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(is_error(api_->call("GET", "/api/v1/clusters/edge", "", admin_), 404));
  EXPECT_EQ(again->stop(), 0);
}

}  // namespace
}  // namespace hydra::itest
