// Whole file sets from loopback servers that answer like the real APIs:
// Hugging Face reached through HF_ENDPOINT (listing, resolve, LFS redirect
// with its sha256, a cut connection resumed), ModelScope, S3 that checks
// every request's SigV4 signature, git and local paths.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "common/random.h"
#include "common/strings.h"
#include "files/set_download.h"
#include "files/sigv4.h"
#include "http/url.h"
#include "loopback_server.h"

namespace hydra::files {
namespace {

namespace fs = std::filesystem;
using hydra::testing::LoopbackReply;
using hydra::testing::LoopbackRequest;
using hydra::testing::LoopbackServer;
using hydra::testing::range_reply;

std::string blob(size_t n, int seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 31 + seed * 7 + i / 5) & 0xff);
  return s;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

LoopbackReply json_reply(std::string body) {
  LoopbackReply r;
  r.headers.push_back({"Content-Type", "application/json"});
  r.body = std::move(body);
  return r;
}

class Sources : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() / ("hydra-sources-" + random_hex(6))).string();
    fs::create_directories(dir_);
    opts_.retry.first_backoff_ms = 10;
    opts_.report_every_ms = 0;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs a set to the end; the error text, or "" when it became READY.
  std::string run(FileSet& f) {
    try {
      run_file_set(f, dir_ + "/set", opts_, [&](const FileSet& now) { reports_.push_back(now); });
    } catch (const SourceError& e) {
      return e.what();
    }
    EXPECT_EQ(f.phase, phase::kReady);
    return "";
  }

  std::string dir_;
  RunOptions opts_;
  std::vector<FileSet> reports_;
};

// A Hugging Face hub: the revision API, resolve URLs, and LFS files sent on
// to a CDN with a 302 carrying X-Linked-Etag.
struct FakeHub {
  std::string config = R"({"architectures":["Qwen2ForCausalLM"]})";
  std::string weights = blob(1500000, 1);
  std::string listed_sha = sha256_hex_of(weights);
  std::atomic<int> cdn_calls{0};
  LoopbackServer cdn{[this](const LoopbackRequest& req) {
    // The first transfer of the weights is cut after 600 kB.
    return range_reply(req, weights, cdn_calls++ == 0 ? 600000 : std::string::npos);
  }};
  LoopbackServer hub{[this](const LoopbackRequest& req) { return answer(req); }};

  LoopbackReply answer(const LoopbackRequest& req) {
    if (req.target == "/api/models/org/tiny/revision/main?blobs=true") {
      return json_reply(
          R"({"id":"org/tiny","sha":"0123","siblings":[{"rfilename":"config.json","size":)" +
          std::to_string(config.size()) + R"(},{"rfilename":"model.safetensors","size":)" +
          std::to_string(weights.size()) + R"(,"lfs":{"sha256":")" + listed_sha + R"(","size":)" +
          std::to_string(weights.size()) + R"(}}]})");
    }
    if (req.target == "/org/tiny/resolve/main/config.json") return range_reply(req, config);
    if (req.target == "/org/tiny/resolve/main/model.safetensors") {
      LoopbackReply r;
      r.status = 302;
      r.headers = {{"Location", cdn.url() + "/repos/ab/cd/" + listed_sha},
                   {"X-Linked-Etag", "\"" + listed_sha + "\""},
                   {"X-Linked-Size", std::to_string(weights.size())}};
      return r;
    }
    LoopbackReply r;
    r.status = 404;
    r.body = R"({"error":"Repository not found"})";
    return r;
  }
};

TEST_F(Sources, HuggingFaceThroughHfEndpointResumesAndChecksLfsSha256) {
  FakeHub fake;
  ::setenv("HF_ENDPOINT", (fake.hub.url() + "/").c_str(), 1);
  opts_.env = SourceEnv::from_environment();
  ::unsetenv("HF_ENDPOINT");
  FileSet f;
  f.source = source::kHuggingFace;
  f.uri = "org/tiny";
  f.secret = "hf_token_1";
  ASSERT_EQ(run(f), "");
  EXPECT_EQ(slurp(f.local_path + "/config.json"), fake.config);
  EXPECT_EQ(slurp(f.local_path + "/model.safetensors"), fake.weights);
  EXPECT_EQ(fake.cdn_calls.load(), 2);  // cut once, resumed once
  auto cdn_reqs = fake.cdn.requests();
  EXPECT_EQ(cdn_reqs.at(1).header("range"), "bytes=600000-");
  EXPECT_EQ(cdn_reqs.at(1).header("authorization"), "");
  for (const auto& r : fake.hub.requests())
    EXPECT_EQ(r.header("authorization"), "Bearer hf_token_1");
  ASSERT_EQ(f.manifest.size(), 2u);
  EXPECT_EQ(f.manifest[1].sha256, fake.listed_sha);
  EXPECT_EQ(f.manifest[0].sha256, sha256_hex_of(fake.config));  // computed where none was published
  EXPECT_EQ(f.bytes_total, static_cast<int64_t>(fake.config.size() + fake.weights.size()));
  EXPECT_EQ(f.bytes_done, f.bytes_total);
  EXPECT_EQ(f.files_done, 2);
  EXPECT_EQ(f.checksum, manifest_checksum(f.manifest));
  EXPECT_EQ(model_path_of(f), f.local_path);
  // Progress was reported while it ran, with the total known from the listing.
  ASSERT_GE(reports_.size(), 3u);
  EXPECT_EQ(reports_.front().phase, phase::kProcessing);
  bool partial = false;
  for (const auto& r : reports_) partial |= r.bytes_done > 0 && r.bytes_done < r.bytes_total;
  EXPECT_TRUE(partial);
}

TEST_F(Sources, HuggingFaceWrongChecksumFailsClearly) {
  FakeHub fake;
  fake.listed_sha = std::string(64, 'c');
  opts_.env.hf_endpoint = fake.hub.url();
  FileSet f;
  f.source = source::kHuggingFace;
  f.uri = "org/tiny";
  std::string err = run(f);
  EXPECT_NE(err.find("model.safetensors: sha256 check failed: expected " + fake.listed_sha),
            std::string::npos)
      << err;
  EXPECT_FALSE(fs::exists(dir_ + "/set/model.safetensors"));
}

TEST_F(Sources, HuggingFaceUnknownRepositoryFailsClearly) {
  FakeHub fake;
  opts_.env.hf_endpoint = fake.hub.url();
  FileSet f;
  f.source = source::kHuggingFace;
  f.uri = "org/missing";
  EXPECT_NE(run(f).find("answered 404 Not Found"), std::string::npos);
}

TEST_F(Sources, HuggingFaceFilesOptionPicksOneFile) {
  FakeHub fake;
  opts_.env.hf_endpoint = fake.hub.url();
  FileSet f;
  f.source = source::kHuggingFace;
  f.uri = "org/tiny";
  f.options["files"] = "config.json";
  ASSERT_EQ(run(f), "");
  ASSERT_EQ(f.manifest.size(), 1u);
  EXPECT_FALSE(fs::exists(f.local_path + "/model.safetensors"));
  f.options["files"] = "nope.bin";
  EXPECT_NE(run(f).find("no file 'nope.bin'"), std::string::npos);
}

TEST_F(Sources, ModelScopeListingAndFiles) {
  std::string gguf = blob(40000, 2);
  LoopbackServer ms([&](const LoopbackRequest& req) {
    if (req.target == "/api/v1/models/qwen/tiny/repo/files?Revision=master&Recursive=true") {
      return json_reply(
          R"({"Code":200,"Success":true,"Data":{"Files":[{"Path":"tiny.gguf","Type":"blob","Size":)" +
          std::to_string(gguf.size()) + R"(,"Sha256":")" + sha256_hex_of(gguf) + R"("}]}})");
    }
    if (req.target == "/api/v1/models/qwen/tiny/repo?Revision=master&FilePath=tiny.gguf")
      return range_reply(req, gguf);
    LoopbackReply r;
    r.status = 404;
    return r;
  });
  opts_.env.modelscope_endpoint = ms.url();
  FileSet f;
  f.source = source::kModelScope;
  f.uri = "qwen/tiny";
  ASSERT_EQ(run(f), "");
  EXPECT_EQ(slurp(f.local_path + "/tiny.gguf"), gguf);
  EXPECT_EQ(model_path_of(f), f.local_path + "/tiny.gguf");
}

// An S3-compatible store that recomputes each request's SigV4 signature and
// refuses any that does not match, and lists in pages of two keys.
struct FakeS3 {
  std::map<std::string, std::string> objects = {{"models/tiny/a.json", "{\"a\":1}"},
                                                {"models/tiny/b.bin", blob(30000, 3)},
                                                {"models/tiny/sub/c.txt", "c"},
                                                {"models/other.txt", "no"}};
  std::atomic<int> refused{0};
  LoopbackServer server{[this](const LoopbackRequest& req) { return answer(req); }};

  bool signed_right(const LoopbackRequest& req) {
    std::string auth = req.header("authorization");
    SigV4Request r;
    std::string path = req.target.substr(0, req.target.find('?'));
    r.path = http::percent_decode(path);
    if (req.target.find('?') != std::string::npos) {
      for (const auto& kv : http::parse_query(req.target.substr(req.target.find('?') + 1)))
        r.query.push_back(kv);
    }
    r.headers = {{"host", req.header("host")},
                 {"x-amz-content-sha256", req.header("x-amz-content-sha256")},
                 {"x-amz-date", req.header("x-amz-date")}};
    r.payload_sha256 = req.header("x-amz-content-sha256");
    SigV4Scope scope{req.header("x-amz-date"), "eu-west-1", "s3"};
    return auth == authorization(r, scope, {"AKIDTEST", "secret/key+1", ""});
  }

  LoopbackReply answer(const LoopbackRequest& req) {
    LoopbackReply r;
    if (!signed_right(req)) {
      ++refused;
      r.status = 403;
      r.body = "<Error><Code>SignatureDoesNotMatch</Code><Message>no</Message></Error>";
      return r;
    }
    if (starts_with(req.target, "/bucket-1?")) {
      auto q = http::parse_query(req.target.substr(req.target.find('?') + 1));
      std::vector<std::string> keys;
      for (const auto& [k, v] : objects) {
        if (starts_with(k, q["prefix"])) keys.push_back(k);
      }
      size_t from = q.count("continuation-token") ? std::stoul(q["continuation-token"]) : 0;
      std::string xml = "<ListBucketResult>";
      for (size_t i = from; i < keys.size() && i < from + 2; ++i) {
        xml += "<Contents><Key>" + keys[i] + "</Key><Size>" +
               std::to_string(objects[keys[i]].size()) + "</Size></Contents>";
      }
      bool more = from + 2 < keys.size();
      xml += std::string("<IsTruncated>") + (more ? "true" : "false") + "</IsTruncated>";
      if (more)
        xml += "<NextContinuationToken>" + std::to_string(from + 2) + "</NextContinuationToken>";
      r.body = xml + "</ListBucketResult>";
      return r;
    }
    std::string key = http::percent_decode(req.target.substr(std::string("/bucket-1/").size()));
    if (!objects.count(key)) {
      r.status = 404;
      return r;
    }
    return range_reply(req, objects[key]);
  }
};

TEST_F(Sources, S3ListsInPagesAndEveryRequestIsSigned) {
  FakeS3 s3;
  FileSet f;
  f.source = source::kS3;
  f.uri = "s3://bucket-1/models/tiny/";
  f.options = {{"endpoint", s3.server.url()}, {"region", "eu-west-1"}};
  f.secret = "AKIDTEST:secret/key+1";
  ASSERT_EQ(run(f), "");
  EXPECT_EQ(s3.refused.load(), 0);
  ASSERT_EQ(f.manifest.size(), 3u);
  EXPECT_EQ(slurp(f.local_path + "/b.bin"), s3.objects["models/tiny/b.bin"]);
  EXPECT_EQ(slurp(f.local_path + "/sub/c.txt"), "c");
  EXPECT_FALSE(fs::exists(f.local_path + "/other.txt"));
  EXPECT_EQ(s3.server.requests().size(), 5u);  // two listing pages, three objects

  FileSet wrong = f;
  wrong.secret = "AKIDTEST:not-the-secret";
  std::string err = run(wrong);
  EXPECT_NE(err.find("403"), std::string::npos) << err;
}

TEST_F(Sources, GitClonesARepository) {
  std::string repo = dir_ + "/repo";
  fs::create_directories(repo);
  { std::ofstream(repo + "/config.json") << "{\"x\":1}"; }
  std::string cmd =
      "cd '" + repo +
      "' && git init -q && git add . && git -c user.email=t@t -c user.name=t commit -qm init";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  FileSet f;
  f.source = source::kGit;
  f.uri = repo;
  ASSERT_EQ(run(f), "");
  EXPECT_EQ(slurp(f.local_path + "/config.json"), "{\"x\":1}");
  ASSERT_EQ(f.manifest.size(), 1u);  // .git is not part of the set
  EXPECT_EQ(f.manifest[0].path, "config.json");

  std::string path = ::getenv("PATH");
  ::setenv("PATH", (dir_ + "/empty").c_str(), 1);
  FileSet g = f;
  std::string err = run(g);
  ::setenv("PATH", path.c_str(), 1);
  EXPECT_EQ(err, "GIT source needs the git program, which is not installed");
}

TEST_F(Sources, LocalPathsAreUsedInPlace) {
  std::string model = dir_ + "/local";
  fs::create_directories(model + "/sub");
  { std::ofstream(model + "/sub/w.bin") << "12345"; }
  FileSet f;
  f.source = source::kLocal;
  f.uri = model;
  ASSERT_EQ(run(f), "");
  EXPECT_EQ(f.local_path, model);
  EXPECT_EQ(f.bytes_total, 5);
  f.uri = dir_ + "/missing";
  EXPECT_NE(run(f).find("does not exist"), std::string::npos);
}

TEST_F(Sources, HttpSourceNamesTheFileAfterTheUrl) {
  std::string data = blob(9000, 4);
  LoopbackServer server([&](const LoopbackRequest& req) { return range_reply(req, data); });
  FileSet f;
  f.source = source::kHttp;
  f.uri = server.url() + "/files/tiny%20model.gguf?sig=1";
  f.options["sha256"] = sha256_hex_of(data);
  ASSERT_EQ(run(f), "");
  EXPECT_EQ(slurp(f.local_path + "/tiny model.gguf"), data);
  EXPECT_EQ(model_path_of(f), f.local_path + "/tiny model.gguf");
}

}  // namespace
}  // namespace hydra::files
