// GET /api/v1/audit-events and its CSV export, called through the router
// the way the server calls them, against a SQLite store in a temp dir.
#include <gtest/gtest.h>

#include <filesystem>

#include "api/routes.h"
#include "auth/bootstrap.h"
#include "auth/password.h"
#include "auth/sessions.h"
#include "auth/users.h"
#include "common/error.h"
#include "common/random.h"
#include "common/strings.h"

namespace hydra::api {
namespace {

namespace bj = boost::json;

// Every test only reads, so the users, sessions and events are made once
// per suite: password hashing (argon2id) is slow on purpose.
struct World {
  World() {
    dir = std::filesystem::temp_directory_path() / ("hydra-audit-api-" + random_hex(8));
    std::filesystem::create_directories(dir);
    store = store::open_store("sqlite:" + (dir / "hydra.db").string());
    store->migrate();
    cfg.admin_password = "admin-password";
    auth::ensure_admin(*store, cfg);
    auth::NewUser nu;
    nu.name = "bob";
    nu.password_hash = auth::hash_password("bob-password");
    store->transact([&](store::Session& s) { bob_id = auth::create_user(s, nu).id; });
    auto admin_login = auth::login(*store, cfg, {"admin", "admin-password", "127.0.0.1", "r1"});
    admin = admin_login.token;
    admin_id = admin_login.user.id;
    bob = auth::login(*store, cfg, {"bob", "bob-password", "127.0.0.1", "r2"}).token;
    ctx = std::make_unique<ApiContext>(ApiContext{*store, cfg, metrics});
    register_audit_routes(router, *ctx);

    // 1700000000000 is 2023-11-14T22:13:20Z.
    seed(admin_id, "admin", "CreateModel", "model", "qwen", 1700000000000);
    seed(admin_id, "admin", "PublishModel", "model", "qwen", 1700000001000);
    seed(bob_id, "bob", "CreateWSAPIKey", "api_key", "k1", 1700000002000);
    seed(bob_id, "bob", "DeleteWSAPIKey", "api_key", "k1", 1700000003000);
    seed("someone", "carol", "CreateWSAPIKey", "api_key", "k2", 1700000004000);
  }
  ~World() {
    ctx.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }

  void seed(std::string actor_id, std::string actor, std::string action, std::string type,
            std::string id, int64_t time) {
    audit::Event e;
    e.actor_id = std::move(actor_id);
    e.actor_name = std::move(actor);
    e.action = std::move(action);
    e.resource_type = std::move(type);
    e.resource_id = std::move(id);
    e.time = time;
    e.detail = "seeded, \"test\"";
    store->transact([&](store::Session& s) { audit::record(s, e); });
  }

  std::filesystem::path dir;
  std::unique_ptr<store::Store> store;
  Config cfg;
  http::Metrics metrics;
  std::unique_ptr<ApiContext> ctx;
  http::Router router;
  std::string admin, admin_id, bob, bob_id;
};

class AuditRoutes : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { world_ = std::make_unique<World>(); }
  static void TearDownTestSuite() { world_.reset(); }

  // Routes and runs like the server, turning ApiError into its answer.
  http::Response call(const std::string& target, const std::string& token) {
    http::Request req;
    req.method = "GET";
    req.target = target;
    size_t q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) {
      for (const auto& kv : split(target.substr(q + 1), '&')) {
        size_t eq = kv.find('=');
        req.query[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
      }
    }
    if (!token.empty()) req.headers.emplace_back("authorization", "Bearer " + token);
    req.remote_addr = "127.0.0.1";
    const http::Route* route = world_->router.match(req);
    if (!route) return http::Response::text(404, "no route");
    try {
      return route->handler(req);
    } catch (const ApiError& e) {
      return http::Response::json(e.http_status(), error_body(e.code(), e.what(), e.param()));
    }
  }

  // The resource ids of a listing, in order; expects 200.
  std::vector<std::string> listed(const std::string& query, const std::string& token,
                                  int64_t* total = nullptr) {
    http::Response r = call("/api/v1/audit-events" + query, token);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> ids;
    if (r.status != 200) return ids;
    bj::object body = bj::parse(r.body).as_object();
    if (total) *total = body.at("total").as_int64();
    for (const auto& item : body.at("items").as_array()) {
      ids.emplace_back(item.at("resource_id").as_string());
    }
    return ids;
  }

  std::string error_param(const http::Response& r) {
    return std::string(bj::parse(r.body).at("error").at("param").as_string());
  }

  static inline std::unique_ptr<World> world_;
  const std::string& admin_ = world_->admin;
  const std::string& admin_id_ = world_->admin_id;
  const std::string& bob_ = world_->bob;
  const std::string& bob_id_ = world_->bob_id;
};

TEST_F(AuditRoutes, AdminSeesEveryEventAndUsersOnlyTheirOwn) {
  // Admin: the five seeded events plus the bootstrap and login events.
  int64_t total = 0;
  auto all = listed("?resource_type=api_key", admin_, &total);
  EXPECT_EQ(all, (std::vector<std::string>{"k2", "k1", "k1"}));
  EXPECT_EQ(total, 3);
  // Bob: his two key events and his own login, never the admin's or carol's.
  EXPECT_EQ(listed("?resource_type=api_key", bob_), (std::vector<std::string>{"k1", "k1"}));
  EXPECT_TRUE(listed("?actor=carol", bob_).empty());
  EXPECT_TRUE(listed("?action=CreateModel", bob_).empty());
  http::Response r = call("/api/v1/audit-events?page_size=200", bob_);
  ASSERT_EQ(r.status, 200);
  bj::value body = bj::parse(r.body);
  for (const auto& item : body.at("items").as_array()) {
    EXPECT_EQ(item.at("actor_id").as_string(), bob_id_) << bj::serialize(item);
  }
}

TEST_F(AuditRoutes, ItemsCarryEveryField) {
  http::Response r = call("/api/v1/audit-events?action=PublishModel", admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  bj::object body = bj::parse(r.body).as_object();
  ASSERT_EQ(body.at("items").as_array().size(), 1u);
  const bj::object& e = body.at("items").as_array()[0].as_object();
  EXPECT_EQ(e.at("time").as_int64(), 1700000001000);
  EXPECT_EQ(e.at("actor_name").as_string(), "admin");
  EXPECT_EQ(e.at("actor_id").as_string(), admin_id_);
  EXPECT_EQ(e.at("resource_type").as_string(), "model");
  EXPECT_EQ(e.at("resource_id").as_string(), "qwen");
  EXPECT_EQ(e.at("result").as_string(), "success");
  EXPECT_EQ(e.at("detail").as_string(), "seeded, \"test\"");
  for (const char* key : {"id", "workspace_id", "source_ip", "request_id"}) {
    EXPECT_TRUE(e.contains(key)) << key;
  }
  EXPECT_EQ(body.at("page").as_int64(), 1);
  EXPECT_EQ(body.at("page_size").as_int64(), 20);
}

TEST_F(AuditRoutes, FiltersByActorActionResourceAndTime) {
  EXPECT_EQ(listed("?actor=carol", admin_), std::vector<std::string>{"k2"});
  EXPECT_EQ(listed("?action=CreateWSAPIKey", admin_), (std::vector<std::string>{"k2", "k1"}));
  EXPECT_EQ(listed("?resource_type=model&resource_id=qwen", admin_),
            (std::vector<std::string>{"qwen", "qwen"}));
  // RFC 3339 and milliseconds mean the same instant; both ends inclusive.
  EXPECT_EQ(listed("?since=2023-11-14T22:13:21Z&until=1700000003000&actor=bob", admin_),
            (std::vector<std::string>{"k1", "k1"}));
  EXPECT_EQ(
      listed("?since=1700000001000&until=2023-11-14T22:13:22.000Z&resource_type=api_key", admin_),
      std::vector<std::string>{"k1"});
  int64_t total = 0;
  auto page = listed("?resource_type=api_key&page=2&page_size=2", admin_, &total);
  EXPECT_EQ(page, std::vector<std::string>{"k1"});
  EXPECT_EQ(total, 3);
}

TEST_F(AuditRoutes, BadParametersAre400AndMissingSessionIs401) {
  for (const char* param : {"since", "until"}) {
    http::Response r = call(std::string("/api/v1/audit-events?") + param + "=yesterday", admin_);
    EXPECT_EQ(r.status, 400) << param;
    EXPECT_EQ(error_param(r), param);
    r = call(std::string("/api/v1/audit-events/export?") + param + "=2023-13-45T99:00:00Z", admin_);
    EXPECT_EQ(r.status, 400) << param;
  }
  http::Response reversed =
      call("/api/v1/audit-events?since=1700000003000&until=1700000001000", admin_);
  EXPECT_EQ(reversed.status, 400);
  EXPECT_EQ(error_param(reversed), "since");
  EXPECT_EQ(call("/api/v1/audit-events?page_size=0", admin_).status, 400);
  EXPECT_EQ(call("/api/v1/audit-events", "").status, 401);
  EXPECT_EQ(call("/api/v1/audit-events/export", "not-a-session").status, 401);
}

TEST_F(AuditRoutes, ExportIsAnAttachedCsvWithTheSameFilters) {
  http::Response r = call("/api/v1/audit-events/export?resource_type=api_key", admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(r.header("content-type"));
  EXPECT_TRUE(r.header("content-type")->starts_with("text/csv"));
  ASSERT_TRUE(r.header("content-disposition"));
  EXPECT_NE(r.header("content-disposition")->find("attachment"), std::string::npos);
  ASSERT_TRUE(r.header("x-total-count"));
  EXPECT_EQ(*r.header("x-total-count"), "3");
  auto lines = split(r.body, '\n');
  ASSERT_EQ(lines.size(), 5u) << r.body;  // header, 3 rows, "" after the last CRLF
  EXPECT_TRUE(lines[0].starts_with("id,time,actor_id,actor,")) << lines[0];
  EXPECT_NE(lines[1].find(",2023-11-14T22:13:24.000Z,someone,carol,"), std::string::npos)
      << lines[1];
  EXPECT_NE(lines[1].find(",\"seeded, \"\"test\"\"\","), std::string::npos) << lines[1];
  EXPECT_EQ(lines[4], "");

  http::Response mine = call("/api/v1/audit-events/export?resource_type=api_key", bob_);
  ASSERT_EQ(mine.status, 200);
  EXPECT_EQ(mine.body.find("carol"), std::string::npos);
  EXPECT_EQ(split(mine.body, '\n').size(), 4u) << mine.body;  // header and bob's two
}

}  // namespace
}  // namespace hydra::api
