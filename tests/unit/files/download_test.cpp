// Streaming downloads against a loopback server that misbehaves: a
// connection cut in the middle of the body (the download resumes with
// Range and the checksum still matches), a server that ignores Range, a
// wrong checksum, a size that lies, redirects that carry the LFS checksum.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "common/random.h"
#include "files/file_download.h"
#include "files/sigv4.h"
#include "loopback_server.h"

namespace hydra::files {
namespace {

namespace fs = std::filesystem;
using hydra::testing::LoopbackReply;
using hydra::testing::LoopbackRequest;
using hydra::testing::LoopbackServer;
using hydra::testing::range_reply;

std::string blob(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
  return s;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

class Download : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() / ("hydra-files-" + random_hex(6))).string();
    fs::create_directories(dir_);
    retry_.first_backoff_ms = 10;
  }
  void TearDown() override { fs::remove_all(dir_); }

  FileResult get(const RemoteFile& f) {
    return download_file(f, dir_, opts_, retry_, [&](int64_t d) { on_disk_ += d; });
  }
  std::string error_of(const RemoteFile& f) {
    try {
      get(f);
    } catch (const SourceError& e) {
      return e.what();
    }
    return "";
  }

  std::string dir_;
  FetchOptions opts_;
  RetryPolicy retry_;
  int64_t on_disk_ = 0;
};

TEST_F(Download, ResumesWithRangeAfterTheConnectionIsCut) {
  const std::string data = blob(3 << 20);
  std::atomic<int> calls{0};
  // The first two answers stop after 1 MiB and after 0.5 MiB more.
  LoopbackServer server([&](const LoopbackRequest& req) {
    int n = calls++;
    return range_reply(req, data, n == 0 ? (1 << 20) : n == 1 ? (512 << 10) : std::string::npos);
  });
  RemoteFile f{"weights/model.bin",
               server.url() + "/model.bin",
               static_cast<int64_t>(data.size()),
               sha256_hex_of(data),
               false,
               nullptr};
  FileResult r = get(f);
  EXPECT_EQ(r.size, static_cast<int64_t>(data.size()));
  EXPECT_EQ(r.sha256, sha256_hex_of(data));
  EXPECT_EQ(r.resumes, 2);
  EXPECT_EQ(slurp(dir_ + "/weights/model.bin"), data);
  EXPECT_FALSE(fs::exists(dir_ + "/weights/model.bin.part"));
  EXPECT_EQ(on_disk_, static_cast<int64_t>(data.size()));
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].header("range"), "");
  EXPECT_EQ(reqs[1].header("range"), "bytes=1048576-");
  EXPECT_EQ(reqs[2].header("range"), "bytes=1572864-");
}

TEST_F(Download, ContinuesAPartFileLeftByAnEarlierRun) {
  const std::string data = blob(200000);
  {
    std::ofstream part(dir_ + "/m.bin.part", std::ios::binary);
    part << data.substr(0, 123456);
  }
  LoopbackServer server([&](const LoopbackRequest& req) { return range_reply(req, data); });
  FileResult r = get({"m.bin", server.url() + "/m.bin", -1, sha256_hex_of(data), false, nullptr});
  EXPECT_EQ(r.sha256, sha256_hex_of(data));
  EXPECT_EQ(server.requests().at(0).header("range"), "bytes=123456-");
  EXPECT_EQ(slurp(dir_ + "/m.bin"), data);
}

TEST_F(Download, StartsOverWhenTheServerIgnoresRange) {
  const std::string data = blob(100000);
  std::atomic<int> calls{0};
  LoopbackServer server([&](const LoopbackRequest&) {
    LoopbackReply r;
    r.body = data;
    if (calls++ == 0) r.cut_after = 40000;
    return r;  // always 200 with the whole body
  });
  FileResult r = get(
      {"m.bin", server.url() + "/m.bin", static_cast<int64_t>(data.size()), "", false, nullptr});
  EXPECT_EQ(r.sha256, sha256_hex_of(data));
  EXPECT_EQ(slurp(dir_ + "/m.bin"), data);
  EXPECT_EQ(on_disk_, static_cast<int64_t>(data.size()));
}

TEST_F(Download, AWrongChecksumFailsClearlyAndLeavesNothing) {
  const std::string data = blob(5000);
  LoopbackServer server([&](const LoopbackRequest& req) { return range_reply(req, data); });
  std::string wrong(64, 'a');
  std::string err = error_of({"m.bin", server.url() + "/m.bin", 5000, wrong, false, nullptr});
  EXPECT_NE(
      err.find("m.bin: sha256 check failed: expected " + wrong + ", got " + sha256_hex_of(data)),
      std::string::npos)
      << err;
  EXPECT_FALSE(fs::exists(dir_ + "/m.bin"));
  EXPECT_FALSE(fs::exists(dir_ + "/m.bin.part"));
}

TEST_F(Download, MoreBytesThanAnnouncedIsRefused) {
  LoopbackServer server([&](const LoopbackRequest& req) { return range_reply(req, blob(5000)); });
  std::string err = error_of({"m.bin", server.url() + "/m.bin", 4000, "", false, nullptr});
  EXPECT_NE(err.find("more than the 4000 bytes"), std::string::npos) << err;
}

TEST_F(Download, FewerBytesThanListedFailsTheSizeCheck) {
  LoopbackServer server([&](const LoopbackRequest& req) { return range_reply(req, blob(3000)); });
  std::string err = error_of({"m.bin", server.url() + "/m.bin", 4000, "", false, nullptr});
  EXPECT_NE(err.find("size check failed"), std::string::npos) << err;
}

TEST_F(Download, ClientErrorsAreNotRetried) {
  LoopbackServer server([&](const LoopbackRequest&) {
    LoopbackReply r;
    r.status = 401;
    return r;
  });
  std::string err = error_of({"m.bin", server.url() + "/m.bin", -1, "", false, nullptr});
  EXPECT_NE(err.find("401 Unauthorized"), std::string::npos) << err;
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(Download, GivesUpOnAServerThatNeverAnswers) {
  LoopbackServer server([&](const LoopbackRequest&) {
    LoopbackReply r;
    r.status = 503;
    return r;
  });
  std::string err = error_of({"m.bin", server.url() + "/m.bin", -1, "", false, nullptr});
  EXPECT_NE(err.find("gave up after 6 failed tries"), std::string::npos) << err;
  EXPECT_EQ(server.requests().size(), 6u);
}

TEST_F(Download, ARefusedConnectionFailsClearly) {
  uint16_t port;
  {
    LoopbackServer gone([](const LoopbackRequest&) { return LoopbackReply{}; });
    port = gone.port();
  }
  retry_.max_failures = 2;
  std::string err = error_of(
      {"m.bin", "http://127.0.0.1:" + std::to_string(port) + "/m", -1, "", false, nullptr});
  EXPECT_NE(err.find("cannot connect"), std::string::npos) << err;
}

// Hugging Face sends LFS files to a CDN with a 302 whose X-Linked-Etag is
// the sha256; the token goes to the hub only.
TEST_F(Download, FollowsRedirectsAndChecksTheLinkedEtag) {
  const std::string data = blob(70000);
  LoopbackServer cdn([&](const LoopbackRequest& req) {
    LoopbackReply r = range_reply(req, data);
    r.headers.push_back({"ETag", "\"cdn-etag\""});
    return r;
  });
  std::string sha = sha256_hex_of(data);
  LoopbackServer hub([&](const LoopbackRequest&) {
    LoopbackReply r;
    r.status = 302;
    r.headers = {{"Location", cdn.url() + "/blob?signature=x"},
                 {"X-Linked-Etag", "\"" + sha + "\""},
                 {"X-Linked-Size", std::to_string(data.size())}};
    return r;
  });
  RemoteFile f{"m.safetensors", hub.url() + "/org/m/resolve/main/m.safetensors", -1, "", true, [] {
                 return http::Headers{{"authorization", "Bearer hf_secret"}};
               }};
  FileResult r = get(f);
  EXPECT_EQ(r.sha256, sha);
  EXPECT_EQ(hub.requests().at(0).header("authorization"), "Bearer hf_secret");
  EXPECT_EQ(cdn.requests().at(0).header("authorization"), "");
  EXPECT_EQ(cdn.requests().at(0).target, "/blob?signature=x");

  // The same redirect with a linked etag that does not match the bytes.
  fs::remove(dir_ + "/m.safetensors");
  LoopbackServer liar([&](const LoopbackRequest&) {
    LoopbackReply r;
    r.status = 302;
    r.headers = {{"Location", cdn.url() + "/blob"}, {"X-Linked-Etag", std::string(64, 'b')}};
    return r;
  });
  f.url = liar.url() + "/x";
  EXPECT_NE(error_of(f).find("sha256 check failed"), std::string::npos);
}

TEST_F(Download, AFileAlreadyInPlaceIsKept) {
  const std::string data = blob(1000);
  {
    std::ofstream out(dir_ + "/done.bin", std::ios::binary);
    out << data;
  }
  LoopbackServer server([&](const LoopbackRequest& req) { return range_reply(req, data); });
  FileResult r = get({"done.bin", server.url() + "/done.bin", 1000, "", false, nullptr});
  EXPECT_EQ(r.size, 1000);
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(Download, CancellingStopsTheTransfer) {
  const std::string data = blob(2 << 20);
  LoopbackServer server([&](const LoopbackRequest& req) { return range_reply(req, data); });
  RemoteFile f{"m.bin", server.url() + "/m.bin", static_cast<int64_t>(data.size()), "", false,
               nullptr};
  EXPECT_THROW(download_file(f, dir_, opts_, retry_,
                             [](int64_t d) {
                               if (d > 0) throw Cancelled();
                             }),
               Cancelled);
  EXPECT_FALSE(fs::exists(dir_ + "/m.bin"));
}

}  // namespace
}  // namespace hydra::files
