#include "auth/sessions.h"

#include <gtest/gtest.h>

#include "auth_test_support.h"
#include "common/clock.h"
#include "common/error.h"

namespace hydra::auth {
namespace {

using testing::kPassword;

class Sessions : public testing::StoreTest {
 protected:
  LoginResult login_as(const std::string& name, const std::string& password = kPassword) {
    return login(*store_, cfg_, LoginRequest{name, password, "10.0.0.7", "req-1"});
  }
  std::string login_error(const std::string& name, const std::string& password) {
    try {
      login_as(name, password);
    } catch (const ApiError& e) {
      EXPECT_EQ(e.code(), ErrorCode::kUnauthenticated);
      return e.what();
    }
    ADD_FAILURE() << "login of " << name << " succeeded";
    return {};
  }
};

TEST_F(Sessions, LoginGivesATokenThatResolvesToTheUser) {
  User alice = make_user("alice");
  LoginResult r = login_as("alice");
  EXPECT_GE(r.token.size(), 40u);
  EXPECT_EQ(r.user.id, alice.id);
  EXPECT_GT(r.user.last_login_at, 0);
  EXPECT_NEAR(r.expires_at, now_ms() + cfg_.session_ttl_s * 1000, 5000);

  auto c = resolve(*store_, r.token);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user_id, alice.id);
  EXPECT_EQ(c->user_name, "alice");
  EXPECT_EQ(c->role, "user");
  EXPECT_EQ(c->workspace_id, alice.personal_workspace_id());
  EXPECT_EQ(audit_count("Login"), 1);
}

TEST_F(Sessions, StoreKeepsOnlyTheTokenHash) {
  make_user("alice");
  LoginResult r = login_as("alice");
  auto rows = store_->query("SELECT token_hash, source_ip FROM sessions");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].str("token_hash"), sha256_hex(r.token));
  EXPECT_EQ(rows[0].str("source_ip"), "10.0.0.7");
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM sessions WHERE token_hash = ?", {r.token}), 0);
}

TEST_F(Sessions, FailuresLookTheSameAndAreAudited) {
  User alice = make_user("alice");
  std::string wrong = login_error("alice", "wrong password!");
  std::string unknown = login_error("mallory", "wrong password!");
  EXPECT_EQ(wrong, unknown);
  EXPECT_EQ(wrong.find("mallory"), std::string::npos);
  EXPECT_EQ(audit_count("Login", "failure"), 2);
  EXPECT_EQ(audit_count("Login", "success"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM sessions"), 0);

  audit::Query q;
  q.action = "Login";
  auto page = audit::query(*store_, q);
  ASSERT_EQ(page.items.size(), 2u);
  for (const auto& e : page.items) {
    EXPECT_EQ(e.source_ip, "10.0.0.7");
    EXPECT_EQ(e.detail.find("wrong password!"), std::string::npos) << "password in audit detail";
  }
}

TEST_F(Sessions, DisabledUserCannotLogInAndLosesSessions) {
  User bob = make_user("bob");
  LoginResult r = login_as("bob");
  store_->transact([&](store::Session& s) {
    UserPatch p;
    p.disabled = true;
    update_user(s, bob.id, p);
  });
  EXPECT_FALSE(resolve(*store_, r.token));
  std::string msg = login_error("bob", kPassword);
  EXPECT_EQ(msg, login_error("nobody", kPassword));
  EXPECT_EQ(audit_count("Login", "failure"), 2);
}

TEST_F(Sessions, ExpiredSessionsDoNotResolve) {
  make_user("carol");
  cfg_.session_ttl_s = 0;
  LoginResult instant = login_as("carol");
  EXPECT_FALSE(resolve(*store_, instant.token));

  cfg_.session_ttl_s = 3600;
  LoginResult r = login_as("carol");
  ASSERT_TRUE(resolve(*store_, r.token));
  store_->exec("UPDATE sessions SET expires_at = ? WHERE token_hash = ?",
               {now_ms() - 1, sha256_hex(r.token)});
  EXPECT_FALSE(resolve(*store_, r.token));
}

TEST_F(Sessions, LogoutEndsTheSessionOnly) {
  make_user("dave");
  LoginResult a = login_as("dave");
  LoginResult b = login_as("dave");
  bool removed = false;
  store_->transact([&](store::Session& s) { removed = logout(s, a.token); });
  EXPECT_TRUE(removed);
  EXPECT_FALSE(resolve(*store_, a.token));
  EXPECT_TRUE(resolve(*store_, b.token));
  store_->transact([&](store::Session& s) { removed = logout(s, a.token); });
  EXPECT_FALSE(removed);
}

TEST_F(Sessions, RevokeKeepsTheChosenSession) {
  make_user("erin");
  LoginResult a = login_as("erin");
  LoginResult b = login_as("erin");
  LoginResult c = login_as("erin");
  store_->transact([&](store::Session& s) { revoke_sessions(s, a.user.id, b.token); });
  EXPECT_FALSE(resolve(*store_, a.token));
  EXPECT_TRUE(resolve(*store_, b.token));
  EXPECT_FALSE(resolve(*store_, c.token));
}

TEST_F(Sessions, GarbageTokensDoNotResolve) {
  make_user("frank");
  login_as("frank");
  EXPECT_FALSE(resolve(*store_, ""));
  EXPECT_FALSE(resolve(*store_, "not-a-token"));
  EXPECT_FALSE(resolve(*store_, std::string(10000, 'a')));
  EXPECT_FALSE(resolve(*store_, "' OR 1=1 --"));
}

}  // namespace
}  // namespace hydra::auth
