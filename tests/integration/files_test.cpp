// Model files end to end, against a real `hydra serve`: a server that
// answers like the Hugging Face file API, reached through HF_ENDPOINT,
// sends the test model with an LFS redirect and cuts the first transfer;
// the set downloads (resumed, sha256-checked) while a deployment that uses
// it waits in Downloading, then runs and chats through the gateway. An
// HTTP source resumes after a cut and a wrong checksum fails clearly.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "../unit/files/loopback_server.h"
#include "api_helpers.h"
#include "hydra_process.h"

namespace hydra::itest {
namespace {

using hydra::testing::LoopbackReply;
using hydra::testing::LoopbackRequest;
using hydra::testing::LoopbackServer;
using hydra::testing::range_reply;
using Clock = std::chrono::steady_clock;

int64_t ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

std::string sha256_of(const std::string& path) {
  RunResult r = run_command({"/usr/bin/sha256sum", path}, {});
  return r.out.substr(0, 64);
}

class Files : public ::testing::Test {
 protected:
  void SetUp() override {
    model_dir_ =
        std::filesystem::temp_directory_path() / ("hydra-files-it-" + std::to_string(::getpid()));
    std::filesystem::create_directories(model_dir_);
    model_path_ = (model_dir_ / "tiny.gguf").string();
    RunResult made = run_command(
        {HYDRA_BINARY, "engine", "make-test-model", "--arch", "qwen2", "--vocab",
         std::string(HYDRA_TESTDATA_DIR) + "/vocab/ggml-vocab-gpt-2.gguf", "--layers", "1",
         "--hidden", "32", "--heads", "2", "--seed", "7", "--chat-template",
         std::string(HYDRA_TESTDATA_DIR) + "/chat-templates/Qwen-Qwen2.5-7B-Instruct.jinja", "-o",
         model_path_},
        {});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    model_ = read_file(model_path_);
    model_sha_ = sha256_of(model_path_);
    ASSERT_EQ(model_sha_.size(), 64u);
  }

  void TearDown() override {
    // Replicas outlive the server by design: never leave one behind.
    for (int64_t pid : pids_) {
      if (pid > 0 && read_file("/proc/" + std::to_string(pid) + "/cmdline").find("tiny.gguf") !=
                         std::string::npos) {
        kill(static_cast<pid_t>(pid), SIGKILL);
      }
    }
    std::filesystem::remove_all(model_dir_);
  }

  void start_hydra(const std::string& hf_endpoint) {
    ::setenv("HF_ENDPOINT", hf_endpoint.c_str(), 1);
    hydra_.start();
    ::unsetenv("HF_ENDPOINT");
    api_ = std::make_unique<Api>(hydra_.url());
    token_ = api_->login("admin", kAdminPassword);
  }

  bj::value files(const std::string& ref) {
    return api_->expect(200, "GET", "/api/v1/model-files/" + ref, nullptr, token_);
  }

  // Polls a set until it leaves PENDING/PROCESSING; the last answer.
  bj::value wait_settled(const std::string& ref, int64_t timeout_ms) {
    auto start = Clock::now();
    bj::value f;
    while (ms_since(start) < timeout_ms) {
      f = files(ref);
      std::string ph = str_of(f, "phase");
      if (ph == "READY" || ph == "FAILED") return f;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return f;
  }

  std::filesystem::path model_dir_;
  std::string model_path_, model_, model_sha_;
  HydraProcess hydra_;
  std::unique_ptr<Api> api_;
  std::string token_;
  std::set<int64_t> pids_;
};

TEST_F(Files, HuggingFaceSetThroughHfEndpointFeedsADeployment) {
  // The CDN sends 64 KiB pieces 15 ms apart (about 4 MiB/s) and cuts the
  // first transfer at a third of the file.
  std::atomic<int> cdn_calls{0};
  LoopbackServer cdn([&](const LoopbackRequest& req) {
    LoopbackReply r =
        range_reply(req, model_, cdn_calls++ == 0 ? model_.size() / 3 : std::string::npos);
    r.pause_ms = 15;
    return r;
  });
  LoopbackServer hub([&](const LoopbackRequest& req) {
    if (req.target == "/api/models/org/tiny-gguf/revision/main?blobs=true") {
      LoopbackReply r;
      r.body = R"({"id":"org/tiny-gguf","siblings":[{"rfilename":"tiny.gguf","size":)" +
               std::to_string(model_.size()) + R"(,"lfs":{"sha256":")" + model_sha_ +
               R"(","size":)" + std::to_string(model_.size()) + "}}]}";
      return r;
    }
    LoopbackReply r;
    if (req.target == "/org/tiny-gguf/resolve/main/tiny.gguf") {
      r.status = 302;
      r.headers = {{"Location", cdn.url() + "/lfs/" + model_sha_},
                   {"X-Linked-Etag", "\"" + model_sha_ + "\""}};
      return r;
    }
    r.status = 404;
    return r;
  });
  start_hydra(hub.url());

  auto created = Clock::now();
  bj::value set = api_->expect(
      201, "POST", "/api/v1/model-files",
      bj::object{{"source", "HUGGING_FACE"}, {"uri", "org/tiny-gguf"}, {"share", true}}, token_);
  EXPECT_EQ(str_of(set, "name"), "tiny-gguf");
  EXPECT_EQ(set.at("has_secret").as_bool(), false);
  std::string set_id = str_of(set, "id");
  bj::value dep =
      api_->expect(201, "POST", "/api/v1/deployments",
                   bj::object{{"name", "hf-chat"}, {"model_files", "tiny-gguf"}}, token_);
  EXPECT_EQ(str_of(dep, "model_files"), set_id);

  // Progress while it downloads: bytes, a rate, an ETA; the deployment waits.
  bool saw_progress = false, saw_downloading = false;
  std::string downloading_reason;
  bj::value f;
  while (ms_since(created) < 60000) {
    f = files(set_id);
    const auto& p = f.at("progress");
    int64_t done = p.at("bytes_done").to_number<int64_t>();
    int64_t total = p.at("bytes_total").to_number<int64_t>();
    if (done > 0 && done < total && p.at("rate_bytes_per_second").to_number<double>() > 0 &&
        p.at("eta_seconds").to_number<int64_t>() >= 0) {
      saw_progress = true;
    }
    bj::value d = api_->expect(200, "GET", "/api/v1/deployments/hf-chat", nullptr, token_);
    if (str_of(d, "state") == "Downloading") {
      saw_downloading = true;
      downloading_reason = str_of(d, "reason");
    }
    if (str_of(f, "phase") == "READY" || str_of(f, "phase") == "FAILED") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  int64_t download_ms = ms_since(created);
  ASSERT_EQ(str_of(f, "phase"), "READY") << bj::serialize(f);
  std::cout << "[ figures ] " << model_.size() << " bytes from the Hugging Face-like server in "
            << download_ms << " ms, " << cdn_calls.load() << " transfers (one cut, resumed)\n";
  EXPECT_TRUE(saw_progress) << bj::serialize(f);
  EXPECT_TRUE(saw_downloading);
  EXPECT_NE(downloading_reason.find("downloading model files 'tiny-gguf'"), std::string::npos)
      << downloading_reason;
  EXPECT_EQ(cdn_calls.load(), 2);
  EXPECT_EQ(cdn.requests().at(1).header("range"),
            "bytes=" + std::to_string(model_.size() / 3) + "-");
  EXPECT_EQ(f.at("files").at(0).at("sha256").as_string(), model_sha_);
  EXPECT_EQ(f.at("progress").at("bytes_done").to_number<int64_t>(),
            static_cast<int64_t>(model_.size()));
  std::string local = str_of(f, "local_path");
  EXPECT_EQ(sha256_of(local + "/tiny.gguf"), model_sha_);

  // The deployment runs the downloaded file and answers through the gateway.
  std::string key = str_of(
      api_->expect(201, "POST", "/api/v1/api-keys", bj::object{{"name", "k"}}, token_), "key");
  bj::value d;
  auto wait_start = Clock::now();
  while (ms_since(wait_start) < 30000) {
    d = api_->expect(200, "GET", "/api/v1/deployments/hf-chat", nullptr, token_);
    for (const auto& r : d.at("replica_status").as_array())
      pids_.insert(r.at("pid").to_number<int64_t>());
    if (str_of(d, "state") == "Running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(str_of(d, "state"), "Running") << bj::serialize(d);
  bj::object chat{{"model", str_of(d, "access_name")},
                  {"messages", bj::array{bj::object{{"role", "user"}, {"content", "Hello"}}}},
                  {"max_tokens", 4}};
  auto reply = api_->call("POST", "/v1/chat/completions", bj::serialize(chat), key);
  EXPECT_EQ(reply.status, 200) << reply.body;

  // A second deployment shares the set: nothing is downloaded again.
  bj::value ref = api_->expect(
      201, "POST", "/api/v1/model-files",
      bj::object{{"source", "REFERENCE"}, {"uri", "tiny-gguf"}, {"name", "tiny-ref"}}, token_);
  bj::value ref_ready = wait_settled(str_of(ref, "id"), 10000);
  EXPECT_EQ(str_of(ref_ready, "phase"), "READY");
  EXPECT_EQ(str_of(ref_ready, "local_path"), local);
  EXPECT_EQ(cdn_calls.load(), 2);

  // In use: no delete. After the deployment and the reference go, it goes with its files.
  EXPECT_TRUE(is_error(api_->call("DELETE", "/api/v1/model-files/" + set_id, "", token_), 409));
  api_->expect(204, "DELETE", "/api/v1/deployments/hf-chat", nullptr, token_);
  api_->expect(204, "DELETE", "/api/v1/model-files/tiny-ref", nullptr, token_);
  api_->expect(204, "DELETE", "/api/v1/model-files/" + set_id, nullptr, token_);
  EXPECT_FALSE(std::filesystem::exists(local));
  EXPECT_TRUE(is_error(api_->call("GET", "/api/v1/model-files/" + set_id, "", token_), 404));
  for (const char* action : {"CreateModelFiles", "DeleteModelFiles"}) {
    bj::value page = api_->expect(200, "GET", std::string("/api/v1/audit-events?action=") + action,
                                  nullptr, token_);
    EXPECT_EQ(page.at("total").to_number<int64_t>(), 2) << action;
  }
}

TEST_F(Files, HttpSourceResumesAndAWrongChecksumFailsClearly) {
  std::atomic<int> calls{0};
  LoopbackServer server([&](const LoopbackRequest& req) {
    return range_reply(req, model_, calls++ == 0 ? model_.size() / 2 : std::string::npos);
  });
  start_hydra("http://127.0.0.1:1");
  std::string url = server.url() + "/models/tiny.gguf";
  api_->expect(201, "POST", "/api/v1/model-files",
               bj::object{{"source", "HTTP"},
                          {"uri", url},
                          {"name", "good"},
                          {"options", bj::object{{"sha256", model_sha_}}}},
               token_);
  api_->expect(201, "POST", "/api/v1/model-files",
               bj::object{{"source", "HTTP"},
                          {"uri", url},
                          {"name", "bad"},
                          {"options", bj::object{{"sha256", std::string(64, '0')}}}},
               token_);
  bj::value good = wait_settled("good", 30000);
  ASSERT_EQ(str_of(good, "phase"), "READY") << bj::serialize(good);
  EXPECT_EQ(sha256_of(str_of(good, "local_path") + "/tiny.gguf"), model_sha_);
  EXPECT_EQ(server.requests().at(1).header("range"),
            "bytes=" + std::to_string(model_.size() / 2) + "-");
  bj::value bad = wait_settled("bad", 30000);
  EXPECT_EQ(str_of(bad, "phase"), "FAILED");
  EXPECT_NE(str_of(bad, "reason")
                .find("tiny.gguf: sha256 check failed: expected " + std::string(64, '0') +
                      ", got " + model_sha_),
            std::string::npos)
      << bj::serialize(bad);
  // Retried, it fails the same way; a READY set is not retried.
  bj::value again = api_->expect(200, "POST", "/api/v1/model-files/bad/retry", nullptr, token_);
  EXPECT_EQ(str_of(again, "phase"), "PENDING");
  EXPECT_EQ(str_of(wait_settled("bad", 30000), "phase"), "FAILED");
  EXPECT_TRUE(is_error(api_->call("POST", "/api/v1/model-files/good/retry", "", token_), 409));
  // A deployment on a failed set fails with the set's reason.
  api_->expect(201, "POST", "/api/v1/deployments",
               bj::object{{"name", "on-bad"}, {"model_files", "bad"}}, token_);
  bj::value d;
  auto start = Clock::now();
  while (ms_since(start) < 10000) {
    d = api_->expect(200, "GET", "/api/v1/deployments/on-bad", nullptr, token_);
    if (str_of(d, "state") == "Failed") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(str_of(d, "state"), "Failed");
  EXPECT_NE(str_of(d, "reason").find("model files 'bad' failed: "), std::string::npos)
      << str_of(d, "reason");
  api_->expect(204, "DELETE", "/api/v1/deployments/on-bad", nullptr, token_);
}

// `hydra pull` downloads here with a progress line, and with --remote asks
// the server to (a model file set), following its progress.
TEST_F(Files, PullDownloadsHereAndThroughTheServer) {
  std::atomic<int> calls{0};
  LoopbackServer hub([&](const LoopbackRequest& req) {
    LoopbackReply r;
    if (req.target == "/api/models/org/tiny-gguf/revision/main?blobs=true") {
      r.body = R"({"siblings":[{"rfilename":"tiny.gguf","size":)" + std::to_string(model_.size()) +
               R"(,"lfs":{"sha256":")" + model_sha_ + R"(","size":)" +
               std::to_string(model_.size()) + "}}]}";
      return r;
    }
    if (req.target == "/org/tiny-gguf/resolve/main/tiny.gguf") {
      return range_reply(req, model_, calls++ == 0 ? model_.size() / 4 : std::string::npos);
    }
    r.status = 404;
    return r;
  });
  start_hydra(hub.url());
  std::string dest = (model_dir_ / "pulled").string();
  RunResult here = run_command({HYDRA_BINARY, "pull", "hf", "org/tiny-gguf", "--dest", dest},
                               {{"HF_ENDPOINT", hub.url()}});
  ASSERT_EQ(here.exit_code, 0) << here.err;
  EXPECT_EQ(sha256_of(dest + "/tiny.gguf"), model_sha_);
  EXPECT_NE(here.out.find("path:     " + dest + "/tiny.gguf"), std::string::npos) << here.out;
  EXPECT_NE(here.err.find("downloading"), std::string::npos) << here.err;
  EXPECT_NE(here.err.find("done  " + std::to_string(model_.size() / 1024 / 1024)),
            std::string::npos)
      << here.err;
  EXPECT_NE(here.err.find("(100%)"), std::string::npos) << here.err;
  EXPECT_NE(here.err.find("/s  ETA 0s  files 1/1"), std::string::npos) << here.err;
  EXPECT_EQ(calls.load(), 2);  // cut once, resumed

  RunResult missing = run_command({HYDRA_BINARY, "pull", "hf", "org/none", "--dest", dest + "2"},
                                  {{"HF_ENDPOINT", hub.url()}});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("404 Not Found"), std::string::npos) << missing.err;

  RunResult remote =
      run_command({HYDRA_BINARY, "pull", "hf", "org/tiny-gguf", "--remote", "--name", "pulled"},
                  {{"HYDRA_SERVER", hydra_.url()}, {"HYDRA_TOKEN", token_}});
  ASSERT_EQ(remote.exit_code, 0) << remote.err;
  bj::value set = files("pulled");
  EXPECT_EQ(str_of(set, "phase"), "READY");
  EXPECT_NE(remote.out.find(str_of(set, "checksum")), std::string::npos) << remote.out;
}

// A set's secret reaches the source (as a bearer token) but is stored sealed:
// the bytes of the database files never hold it, and the API never answers it.
TEST_F(Files, SecretsAreSealedInTheStoreAndNeverAnswered) {
  const std::string token = "hf_integration_plaintext_5c81e0";
  LoopbackServer server([&](const LoopbackRequest& req) {
    if (req.header("authorization") != "Bearer " + token) {
      LoopbackReply r;
      r.status = 401;
      return r;
    }
    return range_reply(req, model_);
  });
  start_hydra("http://127.0.0.1:1");
  bj::value created = api_->expect(201, "POST", "/api/v1/model-files",
                                   bj::object{{"source", "HTTP"},
                                              {"uri", server.url() + "/tiny.gguf"},
                                              {"name", "private"},
                                              {"secret", token}},
                                   token_);
  EXPECT_TRUE(created.at("has_secret").as_bool());
  bj::value ready = wait_settled("private", 30000);
  ASSERT_EQ(str_of(ready, "phase"), "READY") << bj::serialize(ready);
  EXPECT_EQ(server.requests().at(0).header("authorization"), "Bearer " + token);
  for (const std::string& target :
       {std::string("/api/v1/model-files/private"), std::string("/api/v1/model-files?all=true")}) {
    std::string body = api_->call("GET", target, "", token_).body;
    EXPECT_EQ(body.find(token), std::string::npos) << target;
    EXPECT_EQ(body.find("enc:v1:"), std::string::npos) << target;
  }
  // The raw store: the main file and its write-ahead log, read as bytes.
  std::string raw = read_file(hydra_.db_path()) + read_file(hydra_.db_path() + "-wal");
  EXPECT_EQ(raw.find(token), std::string::npos);
  EXPECT_NE(raw.find("enc:v1:"), std::string::npos);
}

TEST_F(Files, BadRequestsGetClearErrors) {
  start_hydra("http://127.0.0.1:1");
  auto post = [&](const std::string& body, const std::string& token) {
    return api_->call("POST", "/api/v1/model-files", body, token);
  };
  EXPECT_TRUE(is_error(post(R"({"source":"HTTP","uri":"http://x/y","colour":1})", token_), 400));
  EXPECT_TRUE(is_error(post(R"({"source":"FTP","uri":"ftp://x"})", token_), 400));
  EXPECT_TRUE(is_error(post(R"({"source":"HUGGING_FACE","uri":"../../etc"})", token_), 400));
  EXPECT_TRUE(is_error(post(R"({"source":"S3","uri":"s3://x"})", token_), 400));
  EXPECT_TRUE(is_error(post(R"({"source":"REFERENCE","uri":"nothing-here"})", token_), 404));
  EXPECT_TRUE(is_error(post(R"({"source":"HTTP","uri":"http://x/y"})", ""), 401));
  api_->expect(201, "POST", "/api/v1/users",
               bj::object{{"name", "bob"}, {"password", "Bob-Password-1"}, {"role", "user"}},
               token_);
  std::string bob = api_->login("bob", "Bob-Password-1");
  EXPECT_TRUE(is_error(post(R"({"source":"LOCAL","uri":"/etc"})", bob), 403));
  EXPECT_TRUE(is_error(post(R"({"source":"HTTP","uri":"http://x/y","share":true})", bob), 403));
  // Names resolve in the caller's workspace (and shared sets); a second "mine" conflicts.
  EXPECT_EQ(post(R"({"source":"HTTP","uri":"http://127.0.0.1:1/m.bin","name":"mine"})", bob).status,
            201);
  EXPECT_EQ(post(R"({"source":"HTTP","uri":"http://127.0.0.1:1/m.bin","name":"mine"})", bob).status,
            409);
  EXPECT_TRUE(is_error(api_->call("GET", "/api/v1/model-files/mine", "", token_), 404));
  bj::value page = api_->expect(200, "GET", "/api/v1/model-files?all=true", nullptr, token_);
  EXPECT_EQ(page.at("total").to_number<int64_t>(), 1);
  bj::value bobs = api_->expect(200, "GET", "/api/v1/model-files", nullptr, bob);
  EXPECT_EQ(bobs.at("total").to_number<int64_t>(), 1);
}

}  // namespace
}  // namespace hydra::itest
