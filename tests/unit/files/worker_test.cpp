// File sets in the store (SQLite), the worker that downloads them, shared
// sets referenced by others, and the model file check deployments run.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/config.h"
#include "common/error.h"
#include "common/random.h"
#include "files/file_set.h"
#include "files/file_worker.h"
#include "files/model_file_check.h"
#include "files/sigv4.h"
#include "files/source_plan.h"
#include "loopback_server.h"
#include "store/store.h"

namespace hydra::files {
namespace {

namespace fs = std::filesystem;
using hydra::testing::LoopbackReply;
using hydra::testing::LoopbackRequest;
using hydra::testing::LoopbackServer;
using hydra::testing::range_reply;

class Worker : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() / ("hydra-worker-" + random_hex(6))).string();
    fs::create_directories(dir_);
    store::StoreOptions o;
    o.synchronous = "NORMAL";
    st_ = store::open_store("sqlite:" + dir_ + "/hydra.db", o);
    st_->migrate();
    opts_.retry.first_backoff_ms = 10;
    cfg_.data_dir = dir_ + "/data";
    cfg_.secret_key = "worker test passphrase";
  }
  void TearDown() override {
    st_.reset();
    fs::remove_all(dir_);
  }

  FileSet add(std::string name, std::string src, std::string uri, std::string ws = "ws1",
              bool share = false) {
    FileSet f;
    f.workspace_id = std::move(ws);
    f.name = std::move(name);
    f.source = std::move(src);
    f.uri = std::move(uri);
    f.share = share;
    st_->transact([&](store::Session& s) { insert_file_set(s, f); });
    return f;
  }

  void link(const std::string& deployment_id, const std::string& set_id) {
    st_->transact([&](store::Session& s) { attach_deployment(s, deployment_id, set_id); });
  }

  std::string dir_;
  std::unique_ptr<store::Store> st_;
  RunOptions opts_;
  Config cfg_;
};

TEST_F(Worker, RowsRoundTripAndListingsRespectSharing) {
  FileSet a = add("a", source::kHttp, "http://x/a", "ws1");
  add("b", source::kHttp, "http://x/b", "ws2");
  add("c", source::kHttp, "http://x/c", "ws2", true);
  auto back = find_file_set(*st_, a.id);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->name, "a");
  EXPECT_EQ(back->phase, phase::kPending);
  EXPECT_EQ(list_file_sets(*st_, {"ws1", "", "", 0, 20}).total, 2);  // own + shared
  EXPECT_EQ(list_file_sets(*st_, {"", "", "", 0, 20}).total, 3);
  EXPECT_EQ(list_file_sets(*st_, {"", "", source::kS3, 0, 20}).total, 0);
  EXPECT_TRUE(find_file_set_by_name(*st_, "ws1", "c"));   // shared by ws2
  EXPECT_FALSE(find_file_set_by_name(*st_, "ws1", "b"));  // not shared
  EXPECT_THROW(add("a", source::kHttp, "http://x/a2", "ws1"), ApiError);
}

TEST_F(Worker, DownloadsSharedSetsOnceAndSettlesReferences) {
  std::string data(300000, 'z');
  LoopbackServer server([&](const LoopbackRequest& req) { return range_reply(req, data); });
  FileSet shared = add("tiny", source::kHttp, server.url() + "/tiny.gguf", "ws1", true);
  FileSet ref1 = add("tiny-ref", source::kReference, shared.id, "ws2");
  FileSet ref2 = add("tiny-ref", source::kReference, shared.id, "ws3");
  link("dep-1", ref1.id);
  link("dep-2", shared.id);
  EXPECT_EQ(check_model_files(*st_, "dep-1").status, FileCheck::Status::kDownloading);
  EXPECT_EQ(check_model_files(*st_, "dep-none").status, FileCheck::Status::kNoFileSet);

  FileWorker worker(*st_, cfg_, opts_);
  worker.run_once();
  worker.run_once();  // references settle after their target
  auto s = find_file_set(*st_, shared.id);
  ASSERT_EQ(s->phase, phase::kReady) << s->reason;
  EXPECT_EQ(s->bytes_done, 300000);
  EXPECT_EQ(s->manifest.at(0).sha256, sha256_hex_of(data));
  EXPECT_EQ(s->local_path, worker.dir_of(shared.id));
  for (const auto& id : {ref1.id, ref2.id}) {
    auto r = find_file_set(*st_, id);
    EXPECT_EQ(r->phase, phase::kReady);
    EXPECT_EQ(r->local_path, s->local_path);  // the same bytes, not a copy
    EXPECT_EQ(r->checksum, s->checksum);
  }
  EXPECT_EQ(server.requests().size(), 1u);  // downloaded once

  FileCheck c = check_model_files(*st_, "dep-1");
  EXPECT_EQ(c.status, FileCheck::Status::kReady);
  EXPECT_EQ(c.model_path, s->local_path + "/tiny.gguf");
  // A file that disappears fails the check before a replica starts.
  fs::remove(s->local_path + "/tiny.gguf");
  c = check_model_files(*st_, "dep-2");
  EXPECT_EQ(c.status, FileCheck::Status::kFailed);
  EXPECT_NE(c.reason.find("model file check failed"), std::string::npos);
}

TEST_F(Worker, FailuresAreRecordedWithTheirReason) {
  LoopbackServer server([&](const LoopbackRequest& req) { return range_reply(req, "abc"); });
  FileSet f = add("bad", source::kHttp, server.url() + "/m.bin");
  st_->exec("UPDATE model_files SET options = ? WHERE id = ?",
            {std::string(R"({"sha256":")") + std::string(64, '0') + "\"}", f.id});
  FileSet r = add("bad-ref", source::kReference, f.id);
  link("dep", f.id);
  FileWorker worker(*st_, cfg_, opts_);
  worker.run_once();
  worker.run_once();
  auto got = find_file_set(*st_, f.id);
  EXPECT_EQ(got->phase, phase::kFailed);
  EXPECT_NE(got->reason.find("sha256 check failed"), std::string::npos) << got->reason;
  auto ref = find_file_set(*st_, r.id);
  EXPECT_EQ(ref->phase, phase::kFailed);
  EXPECT_NE(ref->reason.find("'bad' failed"), std::string::npos);
  FileCheck c = check_model_files(*st_, "dep");
  EXPECT_EQ(c.status, FileCheck::Status::kFailed);
  EXPECT_NE(c.reason.find("sha256 check failed"), std::string::npos);
}

TEST_F(Worker, DeletingASetStopsItsDownloadAndRemovesItsFiles) {
  std::string data(8 << 20, 'q');
  LoopbackServer server([&](const LoopbackRequest& req) {
    auto r = range_reply(req, data);
    r.pause_ms = 20;  // about 3 MiB/s: the deletion lands mid-transfer
    return r;
  });
  FileSet f = add("big", source::kHttp, server.url() + "/big.bin");
  opts_.report_every_ms = 0;
  FileWorker worker(*st_, cfg_, opts_);
  worker.start();
  // Wait until bytes arrive, then delete the row the way the API does.
  for (int i = 0; i < 200; ++i) {
    auto now = find_file_set(*st_, f.id);
    if (now && now->bytes_done > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  st_->transact([&](store::Session& s) { delete_file_set(s, f.id); });
  for (int i = 0; i < 400 && fs::exists(worker.dir_of(f.id)); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  worker.stop();
  EXPECT_FALSE(fs::exists(worker.dir_of(f.id)));
  EXPECT_LT(server.requests().size(), 2u);
}

// The secret of a set is sealed in its row, opened only for the download
// that sends it, and never answered.
TEST_F(Worker, SecretsAreSealedAtRestAndOpenedForTheDownload) {
  const std::string token = "tok-plaintext-7f3a9c";
  LoopbackServer server([&](const LoopbackRequest& req) {
    if (req.header("authorization") != "Bearer " + token) {
      LoopbackReply r;
      r.status = 401;
      return r;
    }
    return range_reply(req, "weights");
  });
  SecretBox box = SecretBox::from_config(cfg_);
  FileSet f;
  f.workspace_id = "ws1";
  f.name = "private";
  f.source = source::kHttp;
  f.uri = server.url() + "/m.bin";
  f.secret = token;
  EXPECT_THROW(st_->transact([&](store::Session& s) { insert_file_set(s, f); }),
               std::logic_error);  // plaintext is refused
  seal_secret(f, box);
  EXPECT_TRUE(f.secret.empty());
  st_->transact([&](store::Session& s) { insert_file_set(s, f); });

  std::string raw =
      st_->query("SELECT secret FROM model_files WHERE id = ?", {f.id})[0].str("secret");
  EXPECT_TRUE(raw.rfind("enc:v1:", 0) == 0) << raw;
  EXPECT_EQ(raw.find(token), std::string::npos);
  auto back = find_file_set(*st_, f.id);
  EXPECT_TRUE(back->secret.empty());
  EXPECT_EQ(open_secret(*back, box), token);
  boost::json::object answer = to_json(*back);
  EXPECT_TRUE(answer.at("has_secret").as_bool());
  EXPECT_EQ(boost::json::serialize(answer).find(token), std::string::npos);
  EXPECT_EQ(boost::json::serialize(answer).find("enc:v1:"), std::string::npos);

  FileWorker worker(*st_, cfg_, opts_);
  worker.run_once();
  auto done = find_file_set(*st_, f.id);
  ASSERT_EQ(done->phase, phase::kReady) << done->reason;
  EXPECT_EQ(server.requests().at(0).header("authorization"), "Bearer " + token);
  // The worker's saves leave the sealed value as it was.
  EXPECT_EQ(st_->query("SELECT secret FROM model_files WHERE id = ?", {f.id})[0].str("secret"),
            raw);

  // Another server key cannot open it: the download fails with a clear reason.
  Config other = cfg_;
  other.secret_key = "another passphrase";
  st_->exec("UPDATE model_files SET phase = 'PENDING' WHERE id = ?", {f.id});
  FileWorker stranger(*st_, other, opts_);
  stranger.run_once();
  auto failed = find_file_set(*st_, f.id);
  EXPECT_EQ(failed->phase, phase::kFailed);
  EXPECT_NE(failed->reason.find("does not decrypt with this server's key"), std::string::npos)
      << failed->reason;
}

// Rows written before secrets were sealed keep working and are sealed when
// the worker starts.
TEST_F(Worker, PlaintextSecretsOfOldRowsAreReadAndSealed) {
  FileSet f = add("old", source::kLocal, dir_);
  st_->exec("UPDATE model_files SET secret = 'hf_old_plain' WHERE id = ?", {f.id});
  auto old = find_file_set(*st_, f.id);
  SecretBox box = SecretBox::from_config(cfg_);
  EXPECT_EQ(open_secret(*old, box), "hf_old_plain");
  EXPECT_TRUE(to_json(*old).at("has_secret").as_bool());

  FileWorker worker(*st_, cfg_, opts_);
  worker.start();
  std::string raw;
  for (int i = 0; i < 400; ++i) {
    raw = st_->query("SELECT secret FROM model_files WHERE id = ?", {f.id})[0].str("secret");
    if (raw != "hf_old_plain") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  worker.stop();
  EXPECT_TRUE(raw.rfind("enc:v1:", 0) == 0) << raw;
  EXPECT_EQ(open_secret(*find_file_set(*st_, f.id), box), "hf_old_plain");
  LazySecretBox lazy(cfg_);
  EXPECT_EQ(seal_plaintext_secrets(*st_, lazy), 0);  // nothing left to seal
}

TEST_F(Worker, SetsInUseAreCounted) {
  FileSet f = add("used", source::kLocal, dir_);
  add("r", source::kReference, f.id);
  int64_t n = 0;
  st_->transact([&](store::Session& s) { n = count_users(s, f.id); });
  EXPECT_EQ(n, 1);  // the reference (no deployment rows exist)
}

TEST(RequestChecks, BadRequestsAreParamErrors) {
  auto bad = [](std::string src, std::string uri, std::map<std::string, std::string> opts = {}) {
    FileSet f;
    f.source = std::move(src);
    f.uri = std::move(uri);
    f.options = std::move(opts);
    try {
      check_file_set_request(f);
    } catch (const ApiError& e) {
      return e.code() == ErrorCode::kParamError;
    }
    return false;
  };
  EXPECT_TRUE(bad("FTP", "x"));
  EXPECT_TRUE(bad("NFS", "server:/x"));
  EXPECT_TRUE(bad(source::kHuggingFace, "../etc"));
  EXPECT_TRUE(bad(source::kHuggingFace, "a/b/c"));
  EXPECT_TRUE(bad(source::kModelScope, "noowner"));
  EXPECT_TRUE(bad(source::kHttp, "ftp://x/y"));
  EXPECT_TRUE(bad(source::kS3, "s3://A_B/x"));
  EXPECT_TRUE(bad(source::kGit, "--upload-pack=evil"));
  EXPECT_TRUE(bad(source::kLocal, "relative/path"));
  EXPECT_TRUE(bad(source::kHuggingFace, "org/m", {{"revision", "--x"}}));
  EXPECT_TRUE(bad(source::kHuggingFace, "org/m", {{"colour", "red"}}));
  EXPECT_TRUE(bad(source::kHttp, "http://x/y", {{"sha256", "abc"}}));
  EXPECT_FALSE(bad(source::kHuggingFace, "Qwen/Qwen2.5-0.5B-Instruct", {{"revision", "v1.0"}}));
  EXPECT_FALSE(
      bad(source::kS3, "s3://models.bucket/tiny", {{"endpoint", "http://127.0.0.1:9000"}}));
}

}  // namespace
}  // namespace hydra::files
