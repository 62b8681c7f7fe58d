#pragma once
// Platform users. Every user owns a personal workspace whose id equals the
// user's id (slug "u-" + 12 random hex digits), so the personal workspace
// is found without a lookup and disappears with its user.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace hydra::auth {

struct User {
  std::string id;
  std::string name;
  std::string display_name;
  std::string email;
  std::string role;  // "admin" or "user"
  bool disabled = false;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  int64_t last_login_at = 0;  // 0: never logged in
  bool admin() const { return role == "admin"; }
  const std::string& personal_workspace_id() const { return id; }
};

// 2-64 chars of [a-z0-9-_.], starting with a letter or digit.
bool valid_user_name(std::string_view name);
// "admin" or "user"; anything else throws PARAM_ERROR naming `param`.
void check_role(const std::string& role, const std::string& param = "role");
// Empty, or something@something without spaces (at most 254 chars).
void check_email(const std::string& email);
void check_display_name(const std::string& display_name);

struct NewUser {
  std::string name;
  std::string display_name;
  std::string email;
  std::string role = "user";
  std::string password_hash;  // from hash_password(), computed before the transaction
};

// Creates the user, its personal workspace and the owner membership.
// Throws PARAM_ERROR on invalid fields, CONFLICT when the name is taken.
User create_user(store::Session& s, const NewUser& u);

std::optional<User> find_user(store::Session& s, std::string_view id);
std::optional<User> find_user(store::Store& st, std::string_view id);
std::optional<User> find_user_by_name(store::Session& s, std::string_view name);
// As find_user, NOT_FOUND when missing.
User get_user(store::Store& st, std::string_view id);
// The stored hash, for login and password changes; empty when no such user.
std::string password_hash_of(store::Store& st, std::string_view user_id);

struct UserQuery {
  std::string keyword;  // matches name, display name or email
  std::string role;     // "" for all
  int64_t offset = 0;
  int64_t limit = 20;
};
struct UserPage {
  std::vector<User> items;
  int64_t total = 0;
};
UserPage list_users(store::Store& st, const UserQuery& q);

struct UserPatch {
  std::optional<std::string> display_name;
  std::optional<std::string> email;
  std::optional<std::string> role;
  std::optional<bool> disabled;
  std::optional<std::string> password_hash;
};
// Applies the patch. Refuses (CONFLICT) to demote or disable the last
// enabled administrator, so the platform always keeps one.
User update_user(store::Session& s, std::string_view id, const UserPatch& p);
// Deletes the user with its personal workspace, sessions, memberships and
// keys. NOT_FOUND when missing; CONFLICT for the last enabled administrator.
void delete_user(store::Session& s, std::string_view id);

// Enabled administrators.
int64_t count_active_admins(store::Session& s);

}  // namespace hydra::auth
