// Hostile and broken input: every answer is a 4xx in the OpenAI error shape,
// never a 500, and the server keeps serving everyone else.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "api_helpers.h"
#include "hydra_process.h"
#include "raw_socket.h"

namespace hydra::itest {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int64_t kMaxBody = 64 * 1024;
constexpr int64_t kMaxHeader = 8 * 1024;
constexpr int64_t kReadTimeoutMs = 500;

class BadInput : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    hydra_ = new HydraProcess({"--max-body-bytes", std::to_string(kMaxBody), "--max-header-bytes",
                               std::to_string(kMaxHeader), "--read-timeout-ms",
                               std::to_string(kReadTimeoutMs)});
    hydra_->start();
    api_ = new Api(hydra_->url());
    admin_ = api_->login("admin", kAdminPassword);
  }
  static void TearDownTestSuite() {
    delete api_;
    delete hydra_;
  }

  void TearDown() override {
    // After each kind of abuse: still alive and serving, and no 5xx was ever answered.
    ASSERT_TRUE(hydra_->alive()) << hydra_->stderr_text();
    EXPECT_EQ(api_->call("GET", "/health").status, 200);
    std::string log = hydra_->stdout_text();
    // The access log is where the answers are seen; it must be there to be searched.
    ASSERT_NE(log.find("\"status\":4"), std::string::npos) << "no access log lines:\n" << log;
    EXPECT_EQ(log.find("\"status\":5"), std::string::npos) << "a 5xx was answered:\n" << log;
  }

  // POST `body` to `path` as admin and require a 4xx error in OpenAI shape.
  void expect_rejected(const std::string& path, const std::string& body,
                       const std::string& method = "POST") {
    auto r = api_->call(method, path, body, admin_);
    EXPECT_TRUE(is_client_error(r)) << method << " " << path << " with " << body.substr(0, 200);
  }

  // A raw request ending with Connection: close; the whole answer text.
  static std::string raw_exchange(const std::string& request) {
    RawSocket s(hydra_->port());
    s.send(request);
    bool closed = false;
    std::string out = s.read_until_close(5000, &closed);
    EXPECT_TRUE(closed) << "server kept the connection after: " << request.substr(0, 200);
    return out;
  }

  static inline HydraProcess* hydra_ = nullptr;
  static inline Api* api_ = nullptr;
  static inline std::string admin_;
};

TEST_F(BadInput, MalformedJson) {
  for (const char* body : {"{", "{\"slug\": }", "{\"slug\":\"a\",}", "{'slug':'abc'}",
                           "{\"slug\":\"abc\"} trailing", "/* c */ {\"slug\":\"abc\"}", "nul",
                           "\x01\x02\x03", "{\"slug\":\"abc\"", "[]", "\"text\"", "42", "null"}) {
    expect_rejected("/api/v1/workspaces", body);
    expect_rejected("/api/v1/api-keys", body);
    expect_rejected("/api/v1/users", body);
  }
  // An empty body where an object is required.
  auto r =
      api_->call("POST", "/api/v1/workspaces", "", admin_, {{"content-type", "application/json"}});
  EXPECT_TRUE(is_client_error(r));
  // Logging in with nonsense is also a plain 4xx.
  EXPECT_TRUE(is_client_error(api_->call("POST", "/api/v1/auth/login", "{\"name\":")));
}

TEST_F(BadInput, WrongTypes) {
  expect_rejected("/api/v1/workspaces", R"({"slug":12})");
  expect_rejected("/api/v1/workspaces", R"({"slug":"ok-slug","name":["x"]})");
  expect_rejected("/api/v1/workspaces", R"({"slug":null})");
  expect_rejected("/api/v1/users", R"({"name":"carol","password":123456789})");
  expect_rejected("/api/v1/users", R"({"name":"carol","password":"Carol-Pw-123","role":true})");
  expect_rejected("/api/v1/api-keys", R"({"name":"k","expires_at":"tomorrow"})");
  expect_rejected("/api/v1/api-keys", R"({"name":"k","expires_at":1.5e300})");
  expect_rejected("/api/v1/api-keys", R"({"name":"k","allowed_models":"all"})");
  expect_rejected("/api/v1/api-keys", R"({"name":"k","allowed_models":[1,2]})");
  expect_rejected("/api/v1/providers", R"({"id":true})");
  expect_rejected("/api/v1/providers", R"({"id":"prov-x","name":"not-an-object"})");
  expect_rejected("/api/v1/models", R"({"id":"model-x","tags":"TEXT_GENERATION"})");
  expect_rejected("/api/v1/auth/login", R"({"name":1,"password":2})");
  // Query parameters are input too.
  for (const char* q : {"page=0", "page=-1", "page=abc", "page_size=100000",
                        "page_size=", "page=99999999999999999999"}) {
    EXPECT_TRUE(is_client_error(api_->call("GET", std::string("/api/v1/models?") + q, "", admin_)))
        << q;
  }
  EXPECT_TRUE(
      is_client_error(api_->call("GET", "/api/v1/audit-events?since=yesterday", "", admin_)));
  EXPECT_TRUE(is_client_error(api_->call("GET", "/api/v1/models?published=maybe", "", admin_)));
}

TEST_F(BadInput, UnknownFields) {
  expect_rejected("/api/v1/workspaces", R"({"slug":"ws-unknown","colour":"red"})");
  expect_rejected("/api/v1/api-keys", R"({"name":"k","scope":"all"})");
  expect_rejected("/api/v1/providers", R"({"id":"prov-unknown","extra":1})");
  expect_rejected("/api/v1/users", R"({"name":"dave","password":"Dave-Pw-12345","admin":true})");
  expect_rejected("/api/v1/auth/login", std::string(R"({"name":"admin","password":")") +
                                            kAdminPassword + R"(","remember":true})");
  // None of them was created on the way.
  EXPECT_EQ(api_->call("GET", "/api/v1/workspaces/ws-unknown", "", admin_).status, 404);
  EXPECT_EQ(api_->call("GET", "/api/v1/providers/prov-unknown", "", admin_).status, 404);
}

TEST_F(BadInput, InvalidNames) {
  // Controls: the same requests with good names succeed.
  api_->expect(201, "POST", "/api/v1/workspaces", bj::object{{"slug", "good-slug"}}, admin_);
  api_->expect(201, "POST", "/api/v1/providers", bj::object{{"id", "good-provider"}}, admin_);
  api_->expect(201, "POST", "/api/v1/users",
               bj::object{{"name", "good-name"}, {"password", "Good-Name-Pw-1"}}, admin_);

  const std::string long_name(300, 'a');
  for (const std::string& slug :
       {std::string(""), std::string("a"), std::string("Team A"), std::string("../etc"),
        std::string("-lead"), std::string("trail-"), std::string("ünïcode"), std::string("a\nb"),
        long_name, std::string("u-0123456789ab")}) {
    expect_rejected("/api/v1/workspaces", bj::serialize(bj::object{{"slug", slug}}));
  }
  for (const std::string& name : {std::string(""), std::string("a"), std::string("Bob"),
                                  std::string("x y"), std::string("-x"), std::string("ali\nce"),
                                  std::string("élise"), std::string("a/b"), long_name}) {
    expect_rejected("/api/v1/users",
                    bj::serialize(bj::object{{"name", name}, {"password", "Some-Pw-123456"}}));
  }
  for (const std::string& id :
       {std::string(""), std::string("Bad Model!"), std::string("../etc"), std::string("-lead"),
        std::string("a\tb"), std::string("模型"), long_name}) {
    expect_rejected("/api/v1/models", bj::serialize(bj::object{{"id", id}}));
    expect_rejected("/api/v1/providers", bj::serialize(bj::object{{"id", id}}));
  }
  // Names in paths: missing, never a crash.
  for (const char* path : {"/api/v1/models/%2e%2e%2fetc", "/api/v1/models/%00",
                           "/api/v1/workspaces/%ff", "/api/v1/users/..%2f..%2f"}) {
    EXPECT_TRUE(is_client_error(api_->call("GET", path, "", admin_))) << path;
  }
  // An API key name with control characters.
  expect_rejected("/api/v1/api-keys", bj::serialize(bj::object{{"name", "bad\x01name"}}));
}

TEST_F(BadInput, NonUtf8Bytes) {
  expect_rejected("/api/v1/workspaces", "{\"slug\":\"ab\xff\xfe\"}");
  expect_rejected("/api/v1/users", "{\"name\":\"\xc3\x28\",\"password\":\"Pw-123456789\"}");
  expect_rejected("/api/v1/api-keys", "{\"name\":\"\xed\xa0\x80\"}");  // a UTF-16 surrogate
  expect_rejected("/api/v1/auth/login", "{\"name\":\"\xff\",\"password\":\"\xfe\"}");
  // In a header and in the path, sent raw.
  std::string r =
      raw_exchange("GET /api/v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + admin_ +
                   "\r\nX-Hydra-Workspace: \xff\xfe\xfd\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(r), 404) << r;
  r = raw_exchange("GET /api/v1/models/\xff\xfe HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                   admin_ + "\r\nConnection: close\r\n\r\n");
  EXPECT_GE(status_of(r), 400) << r;
  EXPECT_LT(status_of(r), 500) << r;
}

TEST_F(BadInput, DeeplyNestedJson) {
  for (int depth : {100, 10000, 60000}) {
    std::string arrays = std::string(depth, '[') + std::string(depth, ']');
    std::string objects;
    for (int i = 0; i < depth; ++i) objects += "{\"a\":";
    objects += "1" + std::string(depth, '}');
    for (const auto& nested : {arrays, objects}) {
      if (static_cast<int64_t>(nested.size()) > kMaxBody) continue;
      expect_rejected("/api/v1/workspaces", nested);
      expect_rejected("/api/v1/workspaces", "{\"slug\":\"x\",\"name\":" + nested + "}");
      expect_rejected("/api/v1/models/import", "{\"yaml\":" + nested + "}");
    }
  }
  // YAML nesting in an import is the same story.
  std::string yaml;
  for (int i = 0; i < 5000; ++i) yaml += "[";
  auto r = api_->call("POST", "/api/v1/models/import", yaml, admin_,
                      {{"content-type", "application/yaml"}});
  EXPECT_TRUE(is_client_error(r));
}

TEST_F(BadInput, OversizedBody) {
  std::string big =
      "{\"slug\":\"big\",\"description\":\"" + std::string(kMaxBody + 1000, 'x') + "\"}";
  EXPECT_TRUE(is_error(api_->call("POST", "/api/v1/workspaces", big, admin_), 413));
  // Chunked, so the size is only known while reading.
  std::string chunk(16 * 1024, 'y');
  std::string req =
      "POST /api/v1/workspaces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
  for (int i = 0; i < 6; ++i) req += "4000\r\n" + chunk + "\r\n";
  req += "0\r\n\r\n";
  std::string r = raw_exchange(req);
  EXPECT_EQ(status_of(r), 413) << r.substr(0, 300);
  EXPECT_TRUE(is_error({413, {}, body_of(r)}, 413));
  // A body just under the limit is read and judged on its content.
  std::string fits =
      "{\"slug\":\"fits\",\"description\":\"" + std::string(kMaxBody / 2, 'z') + "\"}";
  EXPECT_TRUE(is_client_error(api_->call("POST", "/api/v1/workspaces", fits, admin_)));
}

TEST_F(BadInput, OversizedHeaders) {
  auto r = api_->call("GET", "/api/v1/models", "", admin_,
                      {{"x-padding", std::string(kMaxHeader * 2, 'h')}});
  EXPECT_TRUE(is_error(r, 431));
  // Many small headers add up the same way.
  http::Headers many;
  for (int i = 0; i < 400; ++i) many.emplace_back("x-h" + std::to_string(i), std::string(40, 'v'));
  EXPECT_TRUE(is_error(api_->call("GET", "/api/v1/models", "", admin_, many), 431));
}

TEST_F(BadInput, MalformedHttpAndAuth) {
  for (const char* raw :
       {"GARBAGE\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", "GET /health HTTP/1.1\r\nHost x\r\n\r\n",
        "POST /api/v1/workspaces HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
        "POST /api/v1/workspaces HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03"}) {
    RawSocket s(hydra_->port());
    s.send(raw);
    bool closed = false;
    std::string out = s.read_until_close(3000, &closed);
    EXPECT_TRUE(closed) << raw;
    if (!out.empty()) {
      EXPECT_GE(status_of(out), 400) << out;
      EXPECT_LT(status_of(out), 500) << out;
    }
  }
  EXPECT_TRUE(is_error(api_->call("GET", "/api/v1/models", "", "not-a-session"), 401));
  EXPECT_TRUE(is_error(api_->call("GET", "/api/v1/models", "", "sk-" + std::string(43, 'a')), 401));
  EXPECT_TRUE(is_error(api_->call("GET", "/api/v1/models", "", std::string(5000, 't')), 401));
  EXPECT_TRUE(is_error(api_->call("GET", "/api/v1/no-such-route", "", admin_), 404));
  EXPECT_TRUE(is_error(api_->call("PUT", "/api/v1/models", "{}", admin_), 405));
}

// A client that sends half a request and stalls is cut off after the read
// time-out, while everyone else is served without delay.
TEST_F(BadInput, SlowClientsAreCutOff) {
  std::vector<std::unique_ptr<RawSocket>> stalled;
  for (int i = 0; i < 40; ++i) {
    stalled.push_back(std::make_unique<RawSocket>(hydra_->port()));
    // Alternately: headers never finished, and a body that never arrives.
    stalled.back()->send(
        i % 2 ? "GET /api/v1/models HTTP/1.1\r\nHost: x\r\nX-Slow: "
              : "POST /api/v1/workspaces HTTP/1.1\r\nHost: x\r\n"
                "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"slug\":");
  }
  auto started = Clock::now();
  // Others are served meanwhile.
  for (int i = 0; i < 10; ++i) {
    auto t0 = Clock::now();
    auto r = api_->call("GET", "/api/v1/models", "", admin_);
    EXPECT_EQ(r.status, 200);
    EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(kReadTimeoutMs)) << "served slowly";
  }
  for (auto& s : stalled) {
    bool closed = false;
    std::string out = s->read_until_close(3000, &closed);
    EXPECT_TRUE(closed) << "a stalled connection was never closed";
    if (!out.empty()) {
      EXPECT_GE(status_of(out), 400) << out;
      EXPECT_LT(status_of(out), 500) << out;
    }
  }
  auto waited = Clock::now() - started;
  EXPECT_GE(waited, std::chrono::milliseconds(kReadTimeoutMs - 100));
  EXPECT_LT(waited, std::chrono::milliseconds(2500));

  // The freed connections are gone from the server's own count too.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto metrics = api_->call("GET", "/metrics");
  size_t at = metrics.body.find("\nhydra_http_connections ");
  ASSERT_NE(at, std::string::npos) << metrics.body;
  EXPECT_LE(std::stod(metrics.body.substr(at + 24)), 2.0);
}

}  // namespace
}  // namespace hydra::itest
