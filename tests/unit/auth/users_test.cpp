#include <gtest/gtest.h>

#include "auth/sessions.h"
#include "auth/workspaces.h"
#include "auth_test_support.h"
#include "common/error.h"

namespace hydra::auth {
namespace {

class Users : public testing::StoreTest {
 protected:
  ErrorCode error_of(const std::function<void(store::Session&)>& fn) {
    try {
      store_->transact(fn);
    } catch (const ApiError& e) {
      return e.code();
    }
    ADD_FAILURE() << "no error";
    return ErrorCode::kSystemError;
  }
};

TEST(UserNames, FollowTheRule) {
  for (const char* ok : {"ab", "alice", "a.b_c-d", "0day"}) EXPECT_TRUE(valid_user_name(ok)) << ok;
  EXPECT_TRUE(valid_user_name(std::string(64, 'x')));
  for (const char* bad :
       {"", "a", "Alice", "-alice", "_a", ".a", "al ice", "al/ice", "ali\xc3\xa9"}) {
    EXPECT_FALSE(valid_user_name(bad)) << bad;
  }
  EXPECT_FALSE(valid_user_name(std::string(65, 'x')));
}

TEST_F(Users, CreateMakesAPersonalWorkspaceWithOwnerMembership) {
  User alice = make_user("alice");
  auto w = find_workspace(*store_, alice.personal_workspace_id());
  ASSERT_TRUE(w);
  EXPECT_TRUE(is_personal_slug(w->slug)) << w->slug;
  EXPECT_TRUE(w->personal);
  EXPECT_EQ(member_role(*store_, w->id, alice.id), "owner");
  User bob = make_user("bob");
  EXPECT_NE(find_workspace(*store_, bob.id)->slug, w->slug);
}

TEST_F(Users, DuplicateAndInvalidNamesAreRefused) {
  make_user("alice");
  NewUser nu;
  nu.name = "alice";
  nu.password_hash = testing::shared_hash();
  EXPECT_EQ(error_of([&](store::Session& s) { create_user(s, nu); }), ErrorCode::kConflict);
  nu.name = "Bad Name";
  EXPECT_EQ(error_of([&](store::Session& s) { create_user(s, nu); }), ErrorCode::kParamError);
  nu.name = "carol";
  nu.role = "root";
  EXPECT_EQ(error_of([&](store::Session& s) { create_user(s, nu); }), ErrorCode::kParamError);
  nu.role = "user";
  nu.email = "not-an-email";
  EXPECT_EQ(error_of([&](store::Session& s) { create_user(s, nu); }), ErrorCode::kParamError);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM users"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM workspaces"), 1);
}

TEST_F(Users, ListPagesAndFilters) {
  for (const char* n : {"anna", "bert", "carl", "dora", "emil"}) make_user(n);
  auto page = list_users(*store_, UserQuery{"", "", 2, 2});
  EXPECT_EQ(page.total, 5);
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[0].name, "carl");
  auto found = list_users(*store_, UserQuery{"or", "", 0, 20});
  ASSERT_EQ(found.total, 1);
  EXPECT_EQ(found.items[0].name, "dora");
  // LIKE wildcards in the keyword are literal.
  EXPECT_EQ(list_users(*store_, UserQuery{"%", "", 0, 20}).total, 0);
}

TEST_F(Users, UpdateChangesFieldsAndPassword) {
  User alice = make_user("alice");
  UserPatch p;
  p.display_name = "Alice A.";
  p.email = "alice@example.com";
  p.password_hash = hash_password("a-new-password");
  store_->transact([&](store::Session& s) { update_user(s, alice.id, p); });
  User got = get_user(*store_, alice.id);
  EXPECT_EQ(got.display_name, "Alice A.");
  EXPECT_EQ(got.email, "alice@example.com");
  EXPECT_TRUE(verify_password(password_hash_of(*store_, alice.id), "a-new-password"));
  EXPECT_THROW(login(*store_, cfg_, {"alice", testing::kPassword, "", ""}), ApiError);
  EXPECT_NO_THROW(login(*store_, cfg_, {"alice", "a-new-password", "", ""}));
}

TEST_F(Users, TheLastAdminStays) {
  User root = make_user("root", "admin");
  UserPatch demote;
  demote.role = "user";
  UserPatch disable;
  disable.disabled = true;
  EXPECT_EQ(error_of([&](store::Session& s) { update_user(s, root.id, demote); }),
            ErrorCode::kConflict);
  EXPECT_EQ(error_of([&](store::Session& s) { update_user(s, root.id, disable); }),
            ErrorCode::kConflict);
  EXPECT_EQ(error_of([&](store::Session& s) { delete_user(s, root.id); }), ErrorCode::kConflict);
  User second = make_user("second", "admin");
  store_->transact([&](store::Session& s) { update_user(s, root.id, demote); });
  EXPECT_EQ(get_user(*store_, root.id).role, "user");
  EXPECT_EQ(error_of([&](store::Session& s) { delete_user(s, second.id); }), ErrorCode::kConflict);
}

TEST_F(Users, DeleteRemovesEverythingOfTheUser) {
  User alice = make_user("alice");
  User bob = make_user("bob");
  login(*store_, cfg_, {"alice", testing::kPassword, "", ""});
  store_->transact([&](store::Session& s) { add_member(s, bob.id, alice.id, "member"); });
  store_->transact([&](store::Session& s) { delete_user(s, alice.id); });
  EXPECT_FALSE(find_user(*store_, alice.id));
  EXPECT_FALSE(find_workspace(*store_, alice.id));
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM memberships WHERE user_id = ?", {alice.id}), 0);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM sessions"), 0);
  EXPECT_TRUE(find_workspace(*store_, bob.id));
  EXPECT_EQ(error_of([&](store::Session& s) { delete_user(s, alice.id); }), ErrorCode::kNotFound);
}

TEST_F(Users, WorkspacesAndMemberships) {
  User alice = make_user("alice");
  User bob = make_user("bob");
  Workspace team;
  store_->transact([&](store::Session& s) {
    team = create_workspace(s, {"team-a", "", "first"}, alice.id);
  });
  EXPECT_EQ(team.name, "team-a");
  EXPECT_FALSE(team.personal);
  EXPECT_EQ(error_of([&](store::Session& s) {
              create_workspace(s, {"team-a", "", ""}, bob.id);
            }),
            ErrorCode::kConflict);
  EXPECT_EQ(error_of([&](store::Session& s) {
              create_workspace(s, {"Team A", "", ""}, bob.id);
            }),
            ErrorCode::kParamError);
  EXPECT_EQ(error_of([&](store::Session& s) {
              create_workspace(s, {"u-0123456789ab", "", ""}, bob.id);
            }),
            ErrorCode::kParamError);

  store_->transact([&](store::Session& s) { add_member(s, team.id, bob.id, "member"); });
  EXPECT_EQ(error_of([&](store::Session& s) { add_member(s, team.id, bob.id, "owner"); }),
            ErrorCode::kConflict);
  EXPECT_EQ(error_of([&](store::Session& s) { add_member(s, team.id, "nobody", "member"); }),
            ErrorCode::kNotFound);
  EXPECT_EQ(error_of([&](store::Session& s) { add_member(s, team.id, bob.id, "boss"); }),
            ErrorCode::kParamError);
  EXPECT_EQ(list_members(*store_, team.id, 0, 20).total, 2);

  auto bobs = list_workspaces(*store_, WorkspaceQuery{bob.id, "", 0, 20});
  ASSERT_EQ(bobs.total, 2);  // personal + team
  // Both were created within the same millisecond or not: find the team by slug.
  const auto& team_row = bobs.items[0].slug == "team-a" ? bobs.items[0] : bobs.items[1];
  EXPECT_EQ(team_row.slug, "team-a");
  EXPECT_EQ(team_row.role, "member");
  EXPECT_EQ(list_workspaces(*store_, WorkspaceQuery{"", "", 0, 20}).total, 3);
  EXPECT_EQ(list_workspaces(*store_, WorkspaceQuery{"", "team", 0, 20}).total, 1);

  // The last owner and a personal owner cannot be removed.
  EXPECT_EQ(error_of([&](store::Session& s) { remove_member(s, team.id, alice.id); }),
            ErrorCode::kConflict);
  EXPECT_EQ(error_of([&](store::Session& s) { remove_member(s, alice.id, alice.id); }),
            ErrorCode::kConflict);
  store_->transact([&](store::Session& s) { remove_member(s, team.id, bob.id); });
  EXPECT_EQ(member_role(*store_, team.id, bob.id), "");

  WorkspacePatch p;
  p.description = "renamed";
  store_->transact([&](store::Session& s) { update_workspace(s, team.id, p); });
  EXPECT_EQ(find_workspace_by_ref(*store_, "team-a")->description, "renamed");

  EXPECT_EQ(error_of([&](store::Session& s) { delete_workspace(s, alice.id); }),
            ErrorCode::kConflict);
  store_->transact([&](store::Session& s) { delete_workspace(s, team.id); });
  EXPECT_FALSE(find_workspace(*store_, team.id));
}

TEST_F(Users, AuditEventCommitsAndRollsBackWithTheChange) {
  User admin = make_user("root", "admin");
  auto record_create = [&](store::Session& s, const std::string& name) {
    NewUser nu;
    nu.name = name;
    nu.password_hash = testing::shared_hash();
    User u = create_user(s, nu);
    audit::Event e;
    e.actor_id = admin.id;
    e.actor_name = "root";
    e.action = "CreateUser";
    e.resource_type = "user";
    e.resource_id = u.id;
    audit::record(s, e);
  };
  store_->transact([&](store::Session& s) { record_create(s, "kept"); });
  EXPECT_EQ(audit_count("CreateUser"), 1);
  EXPECT_THROW(store_->transact([&](store::Session& s) {
    record_create(s, "dropped");
    throw std::runtime_error("later step failed");
  }),
               std::runtime_error);
  EXPECT_EQ(audit_count("CreateUser"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM users WHERE name = 'dropped'"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM workspaces WHERE name = 'dropped'"), 0);
}

}  // namespace
}  // namespace hydra::auth
