#include "auth/api_keys.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "auth/workspaces.h"
#include "auth_test_support.h"
#include "common/clock.h"
#include "common/error.h"

namespace hydra::auth {
namespace {

class ApiKeys : public testing::StoreTest {
 protected:
  CreatedApiKey create(const User& u, NewApiKey k = {}) {
    k.user_id = u.id;
    if (k.workspace_id.empty()) k.workspace_id = u.personal_workspace_id();
    CreatedApiKey out;
    store_->transact(
        [&](store::Session& s) { out = create_api_key(s, k, cfg_.max_keys_per_user); });
    return out;
  }
  ErrorCode create_error(const User& u, NewApiKey k) {
    try {
      create(u, std::move(k));
    } catch (const ApiError& e) {
      return e.code();
    }
    ADD_FAILURE() << "key created";
    return ErrorCode::kSystemError;
  }
  bool remove(const std::string& id) {
    bool gone = false;
    store_->transact([&](store::Session& s) { gone = delete_api_key(s, id); });
    return gone;
  }
  std::string file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
};

TEST_F(ApiKeys, CreateReturnsPlaintextOnceAndStoresOnlyTheHash) {
  User alice = make_user("alice");
  NewApiKey k;
  k.name = "laptop";
  CreatedApiKey c = create(alice, k);
  ASSERT_TRUE(c.plaintext.starts_with("sk-"));
  EXPECT_GE(c.plaintext.size(), 3u + 43u);  // 32 random bytes in base64
  std::string random_part = c.plaintext.substr(3);
  EXPECT_EQ(c.key.masked,
            "sk-" + random_part.substr(0, 4) + "..." + random_part.substr(random_part.size() - 4));
  EXPECT_EQ(c.key.name, "laptop");

  // Every text column of the table: none holds the key or its random part.
  auto rows = store_->query("SELECT * FROM api_keys");
  ASSERT_EQ(rows.size(), 1u);
  for (const auto& col : rows.columns) {
    std::string v = rows[0].str(col);
    EXPECT_EQ(v.find(random_part), std::string::npos) << "column " << col;
  }
  EXPECT_EQ(rows[0].str("key_hash"), sha256_hex(c.plaintext));

  // Nor does the database file (WAL included) or the audit log.
  store_.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) {
    EXPECT_EQ(file_bytes(db_path_ + suffix).find(random_part), std::string::npos) << suffix;
  }
  store_ = store::open_store("sqlite:" + db_path_);
  // The listing is masked and never carries the key.
  auto listed = list_api_keys(*store_, ApiKeyQuery{alice.id, "", 0, 20});
  ASSERT_EQ(listed.total, 1);
  EXPECT_EQ(listed.items[0].masked, c.key.masked);
}

TEST_F(ApiKeys, VerifyAcceptsTheKeyAndRejectsOthers) {
  User alice = make_user("alice");
  CreatedApiKey c = create(alice);
  auto v = verify_key(*store_, c.plaintext);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->key.id, c.key.id);
  EXPECT_EQ(v->key.user_id, alice.id);
  EXPECT_EQ(v->key.workspace_id, alice.personal_workspace_id());
  EXPECT_EQ(v->user_name, "alice");
  EXPECT_TRUE(is_personal_slug(v->workspace_slug)) << v->workspace_slug;
  EXPECT_GT(v->key.last_used_at, 0);

  std::string wrong = c.plaintext;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_key(*store_, wrong));
  EXPECT_FALSE(verify_key(*store_, c.plaintext.substr(3)));
  EXPECT_FALSE(verify_key(*store_, c.key.masked));
  EXPECT_FALSE(verify_key(*store_, sha256_hex(c.plaintext)));
  EXPECT_FALSE(verify_key(*store_, ""));
  EXPECT_FALSE(verify_key(*store_, "sk-"));
}

TEST_F(ApiKeys, ExpiredKeyIsRejected) {
  User alice = make_user("alice");
  NewApiKey k;
  k.expires_at = now_ms() + 60'000;
  CreatedApiKey c = create(alice, k);
  EXPECT_TRUE(verify_key(*store_, c.plaintext));
  store_->exec("UPDATE api_keys SET expires_at = ? WHERE id = ?", {now_ms() - 1, c.key.id});
  EXPECT_FALSE(verify_key(*store_, c.plaintext));
  // And an expiry in the past is refused at creation.
  NewApiKey past;
  past.expires_at = now_ms() - 1000;
  EXPECT_EQ(create_error(alice, past), ErrorCode::kParamError);
}

TEST_F(ApiKeys, DeletionTakesEffectOnTheNextCall) {
  User alice = make_user("alice");
  CreatedApiKey c = create(alice);
  ASSERT_TRUE(verify_key(*store_, c.plaintext));
  EXPECT_TRUE(remove(c.key.id));
  EXPECT_FALSE(verify_key(*store_, c.plaintext));
  EXPECT_FALSE(remove(c.key.id));
}

TEST_F(ApiKeys, DisabledKeyOrUserIsRejected) {
  User alice = make_user("alice");
  CreatedApiKey c = create(alice);
  store_->exec("UPDATE api_keys SET disabled = 1 WHERE id = ?", {c.key.id});
  EXPECT_FALSE(verify_key(*store_, c.plaintext));
  store_->exec("UPDATE api_keys SET disabled = 0 WHERE id = ?", {c.key.id});
  store_->transact([&](store::Session& s) {
    UserPatch p;
    p.disabled = true;
    update_user(s, alice.id, p);
  });
  EXPECT_FALSE(verify_key(*store_, c.plaintext));
}

TEST_F(ApiKeys, PerUserMaximumIsEnforced) {
  User alice = make_user("alice");
  User bob = make_user("bob");
  for (int i = 0; i < cfg_.max_keys_per_user; ++i) create(alice);
  try {
    create(alice);
    FAIL() << "key beyond the maximum created";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConflict);
    EXPECT_NE(std::string(e.what()).find(std::to_string(cfg_.max_keys_per_user)),
              std::string::npos);
  }
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM api_keys WHERE user_id = ?", {alice.id}),
            cfg_.max_keys_per_user);
  EXPECT_NO_THROW(create(bob));  // the limit is per user
  auto first = list_api_keys(*store_, ApiKeyQuery{alice.id, "", 0, 1});
  remove(first.items[0].id);
  EXPECT_NO_THROW(create(alice));
}

TEST_F(ApiKeys, AnotherUsersKeyIsInvisible) {
  User alice = make_user("alice");
  User bob = make_user("bob");
  User root = make_user("root", "admin");
  CreatedApiKey a = create(alice);
  create(bob);

  auto bobs = list_api_keys(*store_, ApiKeyQuery{bob.id, "", 0, 20});
  ASSERT_EQ(bobs.total, 1);
  EXPECT_NE(bobs.items[0].id, a.key.id);

  Caller bob_caller{bob.id, "bob", "user", bob.id, "", ""};
  Caller admin_caller{root.id, "root", "admin", root.id, "", ""};
  Caller alice_caller{alice.id, "alice", "user", alice.id, "", ""};
  auto key = find_api_key(*store_, a.key.id);
  ASSERT_TRUE(key);
  EXPECT_FALSE(can_manage(bob_caller, *key));
  EXPECT_TRUE(can_manage(alice_caller, *key));
  EXPECT_TRUE(can_manage(admin_caller, *key));
  EXPECT_EQ(list_api_keys(*store_, ApiKeyQuery{"", "", 0, 20}).total, 2);
}

TEST_F(ApiKeys, WorkspaceMustBeTheUsers) {
  User alice = make_user("alice");
  User bob = make_user("bob");
  NewApiKey k;
  k.workspace_id = bob.personal_workspace_id();
  EXPECT_EQ(create_error(alice, k), ErrorCode::kNotFound);

  // Membership grants it, and removing the membership stops the key.
  Workspace team;
  store_->transact([&](store::Session& s) {
    team = create_workspace(s, NewWorkspace{"team", "Team", ""}, bob.id);
    add_member(s, team.id, alice.id, "member");
  });
  NewApiKey tk;
  tk.workspace_id = team.id;
  CreatedApiKey c = create(alice, tk);
  EXPECT_TRUE(verify_key(*store_, c.plaintext));
  store_->transact([&](store::Session& s) { remove_member(s, team.id, alice.id); });
  EXPECT_FALSE(verify_key(*store_, c.plaintext));
}

TEST_F(ApiKeys, AllowedModelsAreKeptAndChecked) {
  User alice = make_user("alice");
  NewApiKey k;
  k.allowed_models = {"public/qwen2.5-7b", "u-0123456789ab/chat", "public/qwen2.5-7b"};
  CreatedApiKey c = create(alice, k);
  auto v = verify_key(*store_, c.plaintext);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->key.allowed_models,
            (std::vector<std::string>{"public/qwen2.5-7b", "u-0123456789ab/chat"}));
  EXPECT_TRUE(v->key.allows("public/qwen2.5-7b"));
  EXPECT_FALSE(v->key.allows("public/other"));
  EXPECT_TRUE(create(alice).key.allows("anything"));

  NewApiKey bad;
  bad.allowed_models = {"has space"};
  EXPECT_EQ(create_error(alice, bad), ErrorCode::kParamError);
  bad.allowed_models = {""};
  EXPECT_EQ(create_error(alice, bad), ErrorCode::kParamError);
  bad.allowed_models.assign(kMaxAllowedModels + 1, "m");
  EXPECT_EQ(create_error(alice, bad), ErrorCode::kParamError);
}

TEST_F(ApiKeys, DeletingTheUserDeletesTheirKeys) {
  User alice = make_user("alice");
  CreatedApiKey c = create(alice);
  store_->transact([&](store::Session& s) { delete_user(s, alice.id); });
  EXPECT_FALSE(verify_key(*store_, c.plaintext));
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM api_keys"), 0);
}

}  // namespace
}  // namespace hydra::auth
