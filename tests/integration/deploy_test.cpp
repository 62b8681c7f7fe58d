// Deployments on the local backend, as a new user would try them: a test
// model from `hydra engine make-test-model`, deployed through the API and
// the CLI, reached through the gateway by its access name, scaled, killed,
// adopted across a server restart and deleted.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iterator>
#include <set>
#include <thread>

#include "../unit/files/loopback_server.h"
#include "api_helpers.h"
#include "hydra_process.h"

namespace hydra::itest {
namespace {

using Clock = std::chrono::steady_clock;

int64_t ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

std::string proc_file(int64_t pid, const char* what) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/" + what, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// A live replica process (not a zombie) whose command line names `model`.
bool replica_alive(int64_t pid, const std::string& model) {
  if (pid <= 0 || kill(static_cast<pid_t>(pid), 0) != 0) return false;
  std::string stat = proc_file(pid, "stat");
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] == 'Z')
    return false;
  return proc_file(pid, "cmdline").find(model) != std::string::npos;
}

class Deploy : public ::testing::Test {
 protected:
  void SetUp() override {
    hydra_.start();
    api_ = std::make_unique<Api>(hydra_.url());
    token_ = api_->login("admin", kAdminPassword);
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
        api_->expect(201, "POST", "/api/v1/api-keys", bj::object{{"name", "app"}}, token_), "key");
  }

  // Replicas outlive the server by design: never leave one behind.
  void TearDown() override {
    for (int64_t pid : pids_seen_) {
      // The server's directory: replicas of the test model and of file sets downloaded there.
      if (replica_alive(pid, hydra_.dir())) kill(static_cast<pid_t>(pid), SIGKILL);
    }
  }

  bj::value get(const std::string& name) {
    return api_->expect(200, "GET", "/api/v1/deployments/" + name, nullptr, token_);
  }

  // Pids of the ready replicas, once `want` are ready (empty on time-out).
  std::vector<int64_t> wait_ready(const std::string& name, size_t want, int64_t timeout_ms) {
    auto start = Clock::now();
    while (ms_since(start) < timeout_ms) {
      bj::value d = get(name);
      std::vector<int64_t> pids;
      for (const auto& r : d.at("replica_status").as_array()) {
        if (r.at("ready").as_bool()) pids.push_back(r.at("pid").to_number<int64_t>());
      }
      pids_seen_.insert(pids.begin(), pids.end());
      if (pids.size() == want && str_of(d, "state") == "Running") return pids;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return {};
  }

  http::ClientResponse chat(const std::string& model, const std::string& key) {
    bj::object body{{"model", model},
                    {"messages", bj::array{bj::object{{"role", "user"}, {"content", "Hello"}}}},
                    {"max_tokens", 4}};
    return api_->call("POST", "/v1/chat/completions", bj::serialize(body), key);
  }

  // Successful requests each replica has served, by its engine's metrics.
  int64_t served(const bj::value& replica) {
    http::Client c;
    auto r = c.get("http://127.0.0.1:" + std::to_string(replica.at("port").to_number<int64_t>()) +
                   "/metrics");
    int64_t n = 0;
    size_t at = 0;
    while ((at = r.body.find("hydra_engine:request_success_total", at)) != std::string::npos) {
      size_t eol = r.body.find('\n', at);
      if (at > 0 && r.body[at - 1] != '\n') {  // a # HELP or # TYPE line
        at = eol;
        continue;
      }
      std::string line = r.body.substr(at, eol - at);
      if (line.find('{') != std::string::npos || line.find(' ') != std::string::npos) {
        n += static_cast<int64_t>(std::stod(line.substr(line.rfind(' ') + 1)));
      }
      at = eol;
    }
    return n;
  }

  HydraProcess hydra_;
  std::unique_ptr<Api> api_;
  std::string token_, model_, key_;
  std::set<int64_t> pids_seen_;
};

TEST_F(Deploy, CreateChatScaleKillRestartDelete) {
  // Create through the API; time until Running.
  auto created_at = Clock::now();
  bj::value d = api_->expect(201, "POST", "/api/v1/deployments",
                             bj::object{{"name", "tiny-chat"}, {"model_path", model_}}, token_);
  std::string access = str_of(d, "access_name");
  ASSERT_NE(access.find("/tiny-chat"), std::string::npos) << access;
  EXPECT_NE(str_of(d.at("examples"), "curl").find(hydra_.url() + "/v1/chat/completions"),
            std::string::npos);
  EXPECT_NE(str_of(d.at("examples"), "node").find(access), std::string::npos);
  ASSERT_EQ(wait_ready("tiny-chat", 1, 20000).size(), 1u) << bj::serialize(get("tiny-chat"));
  int64_t to_running_ms = ms_since(created_at);
  std::cout << "[ figures ] create to Running: " << to_running_ms << " ms\n";
  RecordProperty("create_to_running_ms", static_cast<int>(to_running_ms));
  EXPECT_LT(to_running_ms, 5000);

  // Chat through the gateway by access name; only this workspace's keys see it.
  auto reply = chat(access, key_);
  ASSERT_EQ(reply.status, 200) << reply.body;
  bj::value rj = parse_json(reply.body);
  EXPECT_FALSE(rj.at("choices").as_array().empty());
  api_->expect(201, "POST", "/api/v1/users",
               bj::object{{"name", "bob"}, {"password", "Bob-Password-1"}, {"role", "user"}},
               token_);
  std::string bob = api_->login("bob", "Bob-Password-1");
  std::string bob_key =
      str_of(api_->expect(201, "POST", "/api/v1/api-keys", bj::object{{"name", "b"}}, bob), "key");
  EXPECT_TRUE(is_error(chat(access, bob_key), 404));
  EXPECT_TRUE(is_error(api_->call("GET", "/api/v1/deployments/tiny-chat", "", bob), 404));

  // Scale to 3: three processes, requests spread over all of them.
  api_->expect(200, "POST", "/api/v1/deployments/tiny-chat/scale", bj::object{{"replicas", 3}},
               token_);
  std::vector<int64_t> pids = wait_ready("tiny-chat", 3, 20000);
  ASSERT_EQ(pids.size(), 3u) << bj::serialize(get("tiny-chat"));
  for (int64_t pid : pids) EXPECT_TRUE(replica_alive(pid, model_)) << pid;
  // Let the gateway's table catch up with the third replica before counting.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  bj::array replicas = get("tiny-chat").at("replica_status").as_array();
  std::vector<int64_t> before;
  for (const auto& r : replicas) before.push_back(served(r));
  for (int i = 0; i < 30; ++i) ASSERT_EQ(chat(access, key_).status, 200);
  for (size_t i = 0; i < replicas.size(); ++i) {
    EXPECT_GE(served(replicas[i]) - before[i], 5) << "replica " << i << " got too few requests";
  }

  // kill -9 one replica: no request fails, it is back within 10 s.
  int64_t victim = pids[1];
  ASSERT_EQ(kill(static_cast<pid_t>(victim), SIGKILL), 0);
  auto killed_at = Clock::now();
  // Requests start once it is dead: one already in flight at the kill is lost with it.
  while (replica_alive(victim, model_) && ms_since(killed_at) < 2000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  int failures = 0, sent = 0;
  int64_t back_ms = -1;
  while (ms_since(killed_at) < 10000) {
    auto r = chat(access, key_);
    ++sent;
    if (r.status != 200) {
      ++failures;
      ADD_FAILURE() << "request failed while a replica was down: " << r.status << " " << r.body;
    }
    std::vector<int64_t> now = wait_ready("tiny-chat", 3, 1);
    if (now.size() == 3 && std::find(now.begin(), now.end(), victim) == now.end()) {
      back_ms = ms_since(killed_at);
      break;
    }
  }
  std::cout << "[ figures ] replica back after kill -9: " << back_ms << " ms; " << sent
            << " requests meanwhile, " << failures << " failed\n";
  ASSERT_GE(back_ms, 0) << "the killed replica did not come back within 10 s";
  EXPECT_EQ(failures, 0);
  pids = wait_ready("tiny-chat", 3, 5000);
  ASSERT_EQ(pids.size(), 3u);

  // Restart the whole server: the replicas are adopted, not restarted.
  ASSERT_EQ(hydra_.stop(), 0);
  for (int64_t pid : pids)
    EXPECT_TRUE(replica_alive(pid, model_)) << "replica died with the server";
  hydra_.start();
  auto first = chat(access, key_);
  EXPECT_EQ(first.status, 200) << first.body;
  std::vector<int64_t> after = wait_ready("tiny-chat", 3, 10000);
  std::sort(pids.begin(), pids.end());
  std::sort(after.begin(), after.end());
  EXPECT_EQ(after, pids) << "replicas were restarted instead of adopted";
  for (int i = 0; i < 6; ++i) EXPECT_EQ(chat(access, key_).status, 200);
  bool adopted_event = false;
  bj::value adopted = get("tiny-chat");
  for (const auto& e : adopted.at("events").as_array()) {
    adopted_event |= str_of(e, "reason") == "Adopted";
  }
  EXPECT_TRUE(adopted_event);

  // Logs of a replica through the API.
  auto logs = api_->call("GET", "/api/v1/deployments/tiny-chat/logs?replica=0", "", token_);
  EXPECT_EQ(logs.status, 200);

  // Delete: processes gone, the access name answers 404 in the OpenAI shape.
  api_->expect(204, "DELETE", "/api/v1/deployments/tiny-chat", nullptr, token_);
  auto gone = chat(access, key_);
  EXPECT_TRUE(is_error(gone, 404)) << gone.body;
  auto deleted_at = Clock::now();
  bool all_gone = false;
  while (!all_gone && ms_since(deleted_at) < 15000) {
    all_gone =
        std::none_of(pids.begin(), pids.end(), [&](int64_t p) { return replica_alive(p, model_); });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(all_gone) << "replica processes survived the delete";
  EXPECT_TRUE(is_error(api_->call("GET", "/api/v1/deployments/tiny-chat", "", token_), 404));

  // Audit events for the whole life cycle.
  for (const char* action :
       {"CreateWSModelServing", "UpdateWSModelServingReplicas", "DeleteWSModelServing"}) {
    bj::value page = api_->expect(200, "GET", std::string("/api/v1/audit-events?action=") + action,
                                  nullptr, token_);
    EXPECT_GE(page.at("total").to_number<int64_t>(), 1) << action;
  }
}

TEST_F(Deploy, CliCreateListScaleStopDelete) {
  std::string creds = hydra_.dir() + "/cli.json";
  auto hydra = [&](std::vector<std::string> args) {
    args.insert(args.begin(), HYDRA_BINARY);
    return run_command(args, {{"HYDRA_CREDENTIALS", creds}});
  };
  ASSERT_EQ(
      hydra({"login", "--server", hydra_.url(), "-u", "admin", "-p", kAdminPassword}).exit_code, 0);
  RunResult created =
      hydra({"deploy", "create", "cli-chat", "--model-path", model_, "--wait", "20"});
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  EXPECT_NE(created.out.find("Running"), std::string::npos) << created.out;
  EXPECT_NE(created.out.find("curl " + hydra_.url()), std::string::npos) << created.out;
  ASSERT_EQ(wait_ready("cli-chat", 1, 5000).size(), 1u);
  std::string access = str_of(get("cli-chat"), "access_name");
  EXPECT_EQ(chat(access, key_).status, 200);

  RunResult list = hydra({"deploy", "list"});
  EXPECT_NE(list.out.find(access), std::string::npos) << list.out;
  ASSERT_EQ(hydra({"deploy", "scale", "cli-chat", "2"}).exit_code, 0);
  EXPECT_EQ(wait_ready("cli-chat", 2, 20000).size(), 2u);
  RunResult logs = hydra({"deploy", "logs", "cli-chat", "--replica", "1"});
  EXPECT_EQ(logs.exit_code, 0) << logs.err;

  // Stopped: no replicas, the route answers 503 (no healthy endpoint) until started again.
  ASSERT_EQ(hydra({"deploy", "stop", "cli-chat"}).exit_code, 0);
  auto start = Clock::now();
  while (str_of(get("cli-chat"), "state") != "Stopped" && ms_since(start) < 15000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(str_of(get("cli-chat"), "state"), "Stopped");
  EXPECT_TRUE(get("cli-chat").at("replica_status").as_array().empty());
  ASSERT_EQ(hydra({"deploy", "start", "cli-chat"}).exit_code, 0);
  EXPECT_EQ(wait_ready("cli-chat", 2, 20000).size(), 2u);

  // Bad input answers clear errors.
  RunResult bad = hydra({"deploy", "create", "Bad_Name", "--model-path", model_});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("name"), std::string::npos) << bad.err;
  EXPECT_TRUE(
      is_error(api_->call("POST", "/api/v1/deployments",
                          R"({"name":"x1","model_path":"/m","replicas":2,"bogus":1})", token_),
               400));
  EXPECT_TRUE(
      is_error(api_->call("POST", "/api/v1/deployments",
                          R"({"name":"big","model_path":"/m","resources":{"cpu":100000}})", token_),
               400));
  EXPECT_TRUE(is_error(
      api_->call("POST", "/api/v1/deployments",
                 bj::serialize(bj::object{{"name", "cli-chat"}, {"model_path", model_}}), token_),
      409));

  ASSERT_EQ(hydra({"deploy", "delete", "cli-chat"}).exit_code, 0);
  EXPECT_TRUE(is_error(chat(access, key_), 404));
}

// `hydra deploy create --model-files SET --wait N`: the deployment waits in
// Downloading (no replica process started) while the set's source holds back its
// bytes, and starts once the set is READY; the CLI waits for Running.
TEST_F(Deploy, CliCreateOnAModelFileSetWaitsForTheDownload) {
  std::string bytes = read_file(model_);
  std::atomic<bool> release{false};
  hydra::testing::LoopbackServer source([&](const hydra::testing::LoopbackRequest& req) {
    // Held until the test has seen the deployment wait (bounded, well under
    // the downloader's 30 s read time-out).
    for (int i = 0; i < 400 && !release; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return hydra::testing::range_reply(req, bytes);
  });
  std::string creds = hydra_.dir() + "/cli.json";
  auto hydra = [&](std::vector<std::string> args, int64_t timeout_ms = 60000) {
    args.insert(args.begin(), HYDRA_BINARY);
    return run_command(args, {{"HYDRA_CREDENTIALS", creds}}, timeout_ms);
  };
  ASSERT_EQ(
      hydra({"login", "--server", hydra_.url(), "-u", "admin", "-p", kAdminPassword}).exit_code, 0);
  bj::value set = api_->expect(
      201, "POST", "/api/v1/model-files",
      bj::object{{"source", "HTTP"}, {"uri", source.url() + "/tiny.gguf"}, {"name", "held"}},
      token_);

  // Neither or both sources: a clear error before anything is sent.
  RunResult neither = hydra({"deploy", "create", "no-model"});
  EXPECT_EQ(neither.exit_code, 1);
  EXPECT_NE(neither.err.find("--model-path"), std::string::npos) << neither.err;
  EXPECT_NE(neither.err.find("--model-files"), std::string::npos) << neither.err;
  EXPECT_EQ(
      hydra({"deploy", "create", "two", "--model-path", model_, "--model-files", "held"}).exit_code,
      1);
  RunResult unknown = hydra({"deploy", "create", "ghost", "--model-files", "no-such-set"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("model files 'no-such-set' not found"), std::string::npos)
      << unknown.err;

  RunResult created;
  std::thread cli([&] {
    created =
        hydra({"deploy", "create", "on-files", "--model-files", "held", "--wait", "40"}, 60000);
  });
  // Downloading, with no replica, for as long as the source holds the bytes.
  auto start = Clock::now();
  bj::value d;
  int downloading_polls = 0;
  while (ms_since(start) < 10000 && downloading_polls < 20) {
    auto r = api_->call("GET", "/api/v1/deployments/on-files", "", token_);
    if (r.status == 200) {
      d = bj::parse(r.body);
      if (str_of(d, "state") == "Downloading") {
        ++downloading_polls;
        for (const auto& r : d.at("replica_status").as_array()) {  // no process started
          EXPECT_EQ(r.at("pid").to_number<int64_t>(), 0) << bj::serialize(d);
          EXPECT_FALSE(r.at("ready").as_bool());
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  bj::value held = api_->expect(200, "GET", "/api/v1/model-files/held", nullptr, token_);
  EXPECT_NE(str_of(held, "phase"), "READY");
  release = true;
  cli.join();
  ASSERT_EQ(downloading_polls, 20) << bj::serialize(d);
  EXPECT_EQ(str_of(d, "model_files"), str_of(set, "id"));
  EXPECT_NE(str_of(d, "reason").find("model files 'held'"), std::string::npos)
      << str_of(d, "reason");
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  EXPECT_NE(created.out.find("state:       Running"), std::string::npos) << created.out;
  EXPECT_NE(created.out.find("model files: " + str_of(set, "id")), std::string::npos)
      << created.out;

  // It runs the downloaded file and answers through the gateway.
  EXPECT_EQ(str_of(api_->expect(200, "GET", "/api/v1/model-files/held", nullptr, token_), "phase"),
            "READY");
  bj::value running = get("on-files");
  for (const auto& r : running.at("replica_status").as_array())
    pids_seen_.insert(r.at("pid").to_number<int64_t>());
  EXPECT_NE(str_of(running, "model_path").find("/model-files/" + str_of(set, "id")),
            std::string::npos)
      << str_of(running, "model_path");
  EXPECT_EQ(chat(str_of(running, "access_name"), key_).status, 200);
  ASSERT_EQ(hydra({"deploy", "delete", "on-files"}).exit_code, 0);
}

}  // namespace
}  // namespace hydra::itest
