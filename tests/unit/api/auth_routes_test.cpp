// The auth, user, workspace and API-key routes, called through the router
// the way the server calls them, against a SQLite store in a temp dir.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "api/routes.h"
#include "auth/api_keys.h"
#include "auth/bootstrap.h"
#include "common/error.h"
#include "common/json.h"
#include "common/random.h"
#include "common/strings.h"

namespace hydra::api {
namespace {

namespace bj = boost::json;

struct Answer {
  int status = 0;
  bj::value body;
  http::Response raw;
  const bj::object& obj() const { return body.as_object(); }
  std::string str(const char* key) const { return std::string(obj().at(key).as_string()); }
};

class AuthRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("hydra-api-" + random_hex(8));
    std::filesystem::create_directories(dir_);
    db_path_ = (dir_ / "hydra.db").string();
    store_ = store::open_store("sqlite:" + db_path_);
    store_->migrate();
    cfg_.admin_password = "admin-password";
    cfg_.max_keys_per_user = 3;
    auth::ensure_admin(*store_, cfg_);
    ctx_ = std::make_unique<ApiContext>(ApiContext{*store_, cfg_, metrics_});
    register_auth_routes(router_, *ctx_);
    register_user_routes(router_, *ctx_);
    register_workspace_routes(router_, *ctx_);
    register_key_routes(router_, *ctx_);
    admin_ = login("admin", "admin-password");
  }
  void TearDown() override {
    ctx_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Mirrors the server: route, run, and turn ApiError into its status.
  Answer call(const std::string& method, const std::string& target, const std::string& token = "",
              const std::string& body = "", http::Headers headers = {}) {
    http::Request req;
    req.method = method;
    req.target = target;
    size_t q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) {
      for (const auto& kv : split(target.substr(q + 1), '&')) {
        size_t eq = kv.find('=');
        req.query[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
      }
    }
    req.headers = std::move(headers);
    if (!token.empty()) req.headers.emplace_back("authorization", "Bearer " + token);
    req.body = body;
    req.remote_addr = "127.0.0.1";
    req.request_id = "req-" + random_hex(4);
    Answer a;
    const http::Route* route = router_.match(req);
    if (!route) {
      a.status = 404;
      return a;
    }
    try {
      a.raw = route->handler(req);
    } catch (const ApiError& e) {
      a.raw = http::Response::json(e.http_status(), error_body(e.code(), e.what(), e.param()));
    }
    a.status = a.raw.status;
    if (!a.raw.body.empty()) a.body = bj::parse(a.raw.body);
    return a;
  }

  std::string login(const std::string& name, const std::string& password) {
    Answer a = call("POST", "/api/v1/auth/login", "",
                    json::dump(bj::object{{"name", name}, {"password", password}}));
    EXPECT_EQ(a.status, 200) << a.raw.body;
    return a.status == 200 ? a.str("token") : "";
  }

  // Admin creates a user; returns {id, token}.
  std::pair<std::string, std::string> new_user(const std::string& name) {
    Answer a = call("POST", "/api/v1/users", admin_,
                    json::dump(bj::object{{"name", name}, {"password", "password-" + name}}));
    EXPECT_EQ(a.status, 201) << a.raw.body;
    return {a.str("id"), login(name, "password-" + name)};
  }

  int64_t audit_count(const std::string& action) {
    return store_
        ->query("SELECT COUNT(*) AS n FROM audit_events WHERE action = ? AND result = 'success'",
                {action})[0]
        .i64("n");
  }

  std::filesystem::path dir_;
  std::string db_path_;
  std::unique_ptr<store::Store> store_;
  Config cfg_;
  http::Metrics metrics_;
  std::unique_ptr<ApiContext> ctx_;
  http::Router router_;
  std::string admin_;
};

TEST_F(AuthRoutes, LoginSetsAnHttpOnlyCookieThatAuthenticates) {
  Answer a =
      call("POST", "/api/v1/auth/login", "", R"({"name":"admin","password":"admin-password"})");
  ASSERT_EQ(a.status, 200);
  const std::string* cookie = a.raw.header("Set-Cookie");
  ASSERT_TRUE(cookie);
  std::string token = a.str("token");
  EXPECT_TRUE(cookie->starts_with("hydra_session=" + token + ";")) << *cookie;
  for (const char* attr : {"HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=604800"}) {
    EXPECT_NE(cookie->find(attr), std::string::npos) << attr;
  }
  EXPECT_EQ(a.obj().at("user").at("role").as_string(), "admin");

  Answer me =
      call("GET", "/api/v1/auth/me", "", "", {{"cookie", "theme=dark; hydra_session=" + token}});
  ASSERT_EQ(me.status, 200) << me.raw.body;
  EXPECT_EQ(me.obj().at("user").at("name").as_string(), "admin");
  EXPECT_EQ(me.obj().at("workspaces").as_array().size(), 1u);
  EXPECT_EQ(audit_count("Login"), 2);
}

TEST_F(AuthRoutes, BadLoginsAndMissingSessionsAre401) {
  EXPECT_EQ(
      call("POST", "/api/v1/auth/login", "", R"({"name":"admin","password":"nope-nope"})").status,
      401);
  EXPECT_EQ(
      call("POST", "/api/v1/auth/login", "", R"({"name":"ghost","password":"nope-nope"})").status,
      401);
  EXPECT_EQ(call("POST", "/api/v1/auth/login", "", R"({"name":"admin"})").status, 400);
  EXPECT_EQ(
      call("POST", "/api/v1/auth/login", "", R"({"name":"admin","password":"x","extra":1})").status,
      400);
  EXPECT_EQ(call("POST", "/api/v1/auth/login", "", "{not json").status, 400);
  EXPECT_EQ(call("GET", "/api/v1/auth/me").status, 401);
  EXPECT_EQ(call("GET", "/api/v1/auth/me", "made-up-token").status, 401);
  Answer k = call("GET", "/api/v1/auth/me", "sk-someapikey");
  EXPECT_EQ(k.status, 401);
  EXPECT_EQ(k.obj().at("error").at("type").as_string(), "UNAUTHENTICATED");
}

TEST_F(AuthRoutes, LogoutEndsTheSession) {
  std::string t = login("admin", "admin-password");
  Answer out = call("POST", "/api/v1/auth/logout", t);
  EXPECT_EQ(out.status, 204);
  ASSERT_TRUE(out.raw.header("Set-Cookie"));
  EXPECT_NE(out.raw.header("Set-Cookie")->find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(call("GET", "/api/v1/auth/me", t).status, 401);
  EXPECT_EQ(call("GET", "/api/v1/auth/me", admin_).status, 200);
  EXPECT_EQ(audit_count("Logout"), 1);
}

TEST_F(AuthRoutes, OnlyAdminsManageUsers) {
  auto [bob_id, bob] = new_user("bob");
  EXPECT_EQ(call("GET", "/api/v1/users", bob).status, 403);
  EXPECT_EQ(call("POST", "/api/v1/users", bob, R"({"name":"eve","password":"password1"})").status,
            403);
  EXPECT_EQ(call("DELETE", "/api/v1/users/" + bob_id, bob).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/users/" + bob_id, bob).status, 200);
  Answer admin_me = call("GET", "/api/v1/auth/me", admin_);
  std::string admin_id(admin_me.obj().at("user").at("id").as_string());
  EXPECT_EQ(call("GET", "/api/v1/users/" + admin_id, bob).status, 404);

  Answer list = call("GET", "/api/v1/users?page=1&page_size=1", admin_);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.obj().at("total").as_int64(), 2);
  EXPECT_EQ(list.obj().at("items").as_array().size(), 1u);
  EXPECT_EQ(list.obj().at("page_size").as_int64(), 1);
  EXPECT_EQ(call("GET", "/api/v1/users?page_size=201", admin_).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/users?page=0", admin_).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/users?page=abc", admin_).status, 400);

  EXPECT_EQ(
      call("POST", "/api/v1/users", admin_, R"({"name":"bob","password":"password1"})").status,
      409);
  EXPECT_EQ(
      call("POST", "/api/v1/users", admin_, R"({"name":"Bad!","password":"password1"})").status,
      400);
  EXPECT_EQ(call("POST", "/api/v1/users", admin_, R"({"name":"carl","password":"short"})").status,
            400);
  EXPECT_EQ(audit_count("CreateUser"), 2);  // the bootstrap admin and bob

  EXPECT_EQ(call("DELETE", "/api/v1/users/" + bob_id, admin_).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/auth/me", bob).status, 401);
  EXPECT_EQ(audit_count("DeleteUser"), 1);
}

TEST_F(AuthRoutes, UsersEditTheirOwnProfileOnly) {
  auto [bob_id, bob] = new_user("bob");
  std::string path = "/api/v1/users/" + bob_id;
  EXPECT_EQ(call("PATCH", path, bob, R"({"display_name":"Bob B."})").status, 200);
  EXPECT_EQ(call("PATCH", path, bob, R"({"role":"admin"})").status, 403);
  EXPECT_EQ(call("PATCH", path, bob, R"({"disabled":true})").status, 403);
  EXPECT_EQ(call("PATCH", path, bob, R"({"password":"new-password"})").status, 400);
  EXPECT_EQ(
      call("PATCH", path, bob, R"({"password":"new-password","old_password":"wrong-one"})").status,
      400);
  std::string other = login("bob", "password-bob");
  Answer ok =
      call("PATCH", path, bob, R"({"password":"new-password","old_password":"password-bob"})");
  EXPECT_EQ(ok.status, 200) << ok.raw.body;
  EXPECT_EQ(call("GET", "/api/v1/auth/me", bob).status, 200);    // the session that changed it
  EXPECT_EQ(call("GET", "/api/v1/auth/me", other).status, 401);  // every other session ended
  EXPECT_FALSE(login("bob", "new-password").empty());
  EXPECT_EQ(audit_count("UpdateUser"), 2);
  auto details = store_->query("SELECT detail FROM audit_events WHERE action = 'UpdateUser'");
  for (auto r : details) EXPECT_EQ(r.str("detail").find("new-password"), std::string::npos);

  // Admins disable; disabled users are out at once.
  EXPECT_EQ(call("PATCH", path, admin_, R"({"disabled":true})").status, 200);
  EXPECT_EQ(call("GET", "/api/v1/auth/me", bob).status, 401);
}

TEST_F(AuthRoutes, KeysAreShownOnceAndPrivateToTheirOwner) {
  auto [alice_id, alice] = new_user("alice");
  auto [bob_id, bob] = new_user("bob");
  Answer created =
      call("POST", "/api/v1/api-keys", alice, R"({"name":"ci","allowed_models":["public/qwen"]})");
  ASSERT_EQ(created.status, 201) << created.raw.body;
  std::string key = created.str("key");
  std::string id = created.str("id");
  ASSERT_TRUE(key.starts_with("sk-"));
  EXPECT_EQ(created.obj().at("workspace_id").as_string(), alice_id);

  Answer listed = call("GET", "/api/v1/api-keys", alice);
  ASSERT_EQ(listed.status, 200);
  ASSERT_EQ(listed.obj().at("total").as_int64(), 1);
  EXPECT_EQ(listed.raw.body.find(key.substr(3)), std::string::npos);
  EXPECT_EQ(listed.obj().at("items").at(0).at("masked").as_string(), created.str("masked"));
  Answer one = call("GET", "/api/v1/api-keys/" + id, alice);
  EXPECT_EQ(one.status, 200);
  EXPECT_FALSE(one.obj().contains("key"));

  // Bob: cannot read, list or delete it, and cannot tell it exists.
  EXPECT_EQ(call("GET", "/api/v1/api-keys/" + id, bob).status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/api-keys/" + id, bob).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/api-keys/no-such-id", bob).raw.body,
            call("GET", "/api/v1/api-keys/" + id, bob).raw.body);
  EXPECT_EQ(call("GET", "/api/v1/api-keys", bob).obj().at("total").as_int64(), 0);
  EXPECT_EQ(call("GET", "/api/v1/api-keys?all=true", bob).obj().at("total").as_int64(), 0);
  EXPECT_TRUE(auth::verify_key(*store_, key));

  // Admin sees it only when asking for all.
  EXPECT_EQ(call("GET", "/api/v1/api-keys", admin_).obj().at("total").as_int64(), 0);
  EXPECT_EQ(call("GET", "/api/v1/api-keys?all=true", admin_).obj().at("total").as_int64(), 1);

  // Nothing outside the create answer holds the key: audit, database file.
  auto audit = store_->query("SELECT detail FROM audit_events WHERE action = 'CreateWSAPIKey'");
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].str("detail").find(key.substr(3)), std::string::npos);
  store_->query("PRAGMA wal_checkpoint(FULL)");
  std::ifstream db(db_path_, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(db)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes.find(key.substr(3)), std::string::npos);

  EXPECT_EQ(call("DELETE", "/api/v1/api-keys/" + id, alice).status, 204);
  EXPECT_FALSE(auth::verify_key(*store_, key));
  EXPECT_EQ(call("GET", "/api/v1/api-keys/" + id, alice).status, 404);
  EXPECT_EQ(audit_count("CreateWSAPIKey"), 1);
  EXPECT_EQ(audit_count("DeleteWSAPIKey"), 1);
}

TEST_F(AuthRoutes, KeyRequestsAreValidated) {
  auto [alice_id, alice] = new_user("alice");
  auto [bob_id, bob] = new_user("bob");
  EXPECT_EQ(call("POST", "/api/v1/api-keys", alice, R"({"nmae":"typo"})").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/api-keys", alice, R"({"expires_at":1})").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/api-keys", alice, R"({"allowed_models":"all"})").status, 400);
  EXPECT_EQ(
      call("POST", "/api/v1/api-keys", alice, json::dump(bj::object{{"workspace_id", bob_id}}))
          .status,
      404);
  for (int i = 0; i < cfg_.max_keys_per_user; ++i) {
    EXPECT_EQ(call("POST", "/api/v1/api-keys", alice, "{}").status, 201);
  }
  Answer over = call("POST", "/api/v1/api-keys", alice, "{}");
  EXPECT_EQ(over.status, 409);
  EXPECT_EQ(over.obj().at("error").at("type").as_string(), "CONFLICT");
}

TEST_F(AuthRoutes, WorkspacesMembersAndTheWorkspaceHeader) {
  auto [alice_id, alice] = new_user("alice");
  auto [bob_id, bob] = new_user("bob");
  EXPECT_EQ(call("POST", "/api/v1/workspaces", alice, R"({"slug":"team"})").status, 403);
  Answer ws = call("POST", "/api/v1/workspaces", admin_, R"({"slug":"team","name":"The team"})");
  ASSERT_EQ(ws.status, 201) << ws.raw.body;
  std::string ws_id = ws.str("id");
  EXPECT_EQ(call("POST", "/api/v1/workspaces", admin_, R"({"slug":"team"})").status, 409);
  EXPECT_EQ(call("POST", "/api/v1/workspaces", admin_, R"({"slug":"Team!"})").status, 400);

  // Not yet a member: the workspace looks missing, the header is refused.
  EXPECT_EQ(call("GET", "/api/v1/workspaces/" + ws_id, alice).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/auth/me", alice, "", {{"x-hydra-workspace", "team"}}).status, 404);

  std::string members = "/api/v1/workspaces/" + ws_id + "/members";
  EXPECT_EQ(call("POST", members, admin_,
                 json::dump(bj::object{{"user_id", alice_id}, {"role", "owner"}}))
                .status,
            201);
  EXPECT_EQ(call("POST", members, admin_, R"({"user_id":"bob","role":"member"})").status, 201);
  EXPECT_EQ(call("POST", members, admin_, R"({"user_id":"bob"})").status, 409);
  EXPECT_EQ(call("GET", members, bob).obj().at("total").as_int64(), 3);
  // A plain member may not change the workspace; the owner may.
  EXPECT_EQ(call("PATCH", "/api/v1/workspaces/team", bob, R"({"name":"mine"})").status, 403);
  EXPECT_EQ(call("PATCH", "/api/v1/workspaces/team", alice, R"({"description":"ours"})").status,
            200);
  EXPECT_EQ(call("GET", "/api/v1/workspaces", bob).obj().at("total").as_int64(), 2);
  EXPECT_EQ(call("GET", "/api/v1/workspaces", admin_).obj().at("total").as_int64(), 4);

  // The header picks the workspace for new keys.
  Answer key = call("POST", "/api/v1/api-keys", bob, "{}", {{"x-hydra-workspace", "team"}});
  ASSERT_EQ(key.status, 201);
  EXPECT_EQ(key.str("workspace_id"), ws_id);
  auto verified = auth::verify_key(*store_, key.str("key"));
  ASSERT_TRUE(verified);
  EXPECT_EQ(verified->workspace_slug, "team");

  EXPECT_EQ(call("DELETE", members + "/" + bob_id, bob).status, 403);
  EXPECT_EQ(call("DELETE", members + "/" + bob_id, alice).status, 204);
  EXPECT_FALSE(auth::verify_key(*store_, key.str("key")));  // no longer a member
  EXPECT_EQ(call("DELETE", "/api/v1/workspaces/" + alice_id, alice).status, 409);  // personal
  EXPECT_EQ(call("DELETE", "/api/v1/workspaces/team", alice).status, 204);
  for (const char* action : {"CreateWorkspace", "UpdateWorkspace", "AddWorkspaceMember",
                             "RemoveWorkspaceMember", "DeleteWorkspace"}) {
    EXPECT_GE(audit_count(action), 1) << action;
  }
  EXPECT_EQ(audit_count("AddWorkspaceMember"), 2);
}

}  // namespace
}  // namespace hydra::api
