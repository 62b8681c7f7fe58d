#include "auth/users.h"

#include "auth/auth_epoch.h"
#include "auth/text_checks.h"
#include "auth/workspaces.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/random.h"

namespace hydra::auth {
namespace {

constexpr const char* kUserColumns =
    "id, name, display_name, email, role, disabled, created_at, updated_at, last_login_at";

User user_from_row(const store::Rows::Row& r) {
  User u;
  u.id = r.str("id");
  u.name = r.str("name");
  u.display_name = r.str("display_name");
  u.email = r.str("email");
  u.role = r.str("role");
  u.disabled = r.boolean("disabled");
  u.created_at = r.i64("created_at");
  u.updated_at = r.i64("updated_at");
  u.last_login_at = r.i64("last_login_at");
  return u;
}

// Works on a Store (pooled reader) and on a Session (inside a transaction).
template <class Q>
std::optional<User> find_by(Q& q, const char* column, std::string_view value) {
  auto rows =
      q.query(std::string("SELECT ") + kUserColumns + " FROM users WHERE " + column + " = ?",
              {std::string(value)});
  if (rows.empty()) return std::nullopt;
  return user_from_row(rows[0]);
}

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

// Demoting, disabling or deleting `u` must leave another enabled admin.
void keep_one_admin(store::Session& s, const User& u, const char* what) {
  if (!u.admin() || u.disabled) return;
  if (count_active_admins(s) <= 1) {
    throw_conflict(std::string("cannot ") + what + " the last enabled administrator");
  }
}

}  // namespace

bool valid_user_name(std::string_view name) {
  if (name.size() < 2 || name.size() > 64) return false;
  for (char c : name) {
    if (!name_char(c)) return false;
  }
  char first = name.front();
  return (first >= 'a' && first <= 'z') || (first >= '0' && first <= '9');
}

void check_role(const std::string& role, const std::string& param) {
  if (role != "admin" && role != "user") throw_param("role must be 'admin' or 'user'", param);
}

void check_email(const std::string& email) {
  check_plain_text(email, 254, "email");
  if (email.empty()) return;
  size_t at = email.find('@');
  if (at == 0 || at == std::string::npos || at + 1 == email.size() ||
      email.find(' ') != std::string::npos) {
    throw_param("email must look like name@example.com", "email");
  }
}

void check_display_name(const std::string& display_name) {
  check_plain_text(display_name, 128, "display_name");
}

User create_user(store::Session& s, const NewUser& in) {
  if (!valid_user_name(in.name)) {
    throw_param(
        "name must be 2-64 characters of a-z, 0-9, '-', '_' or '.', starting with a letter or "
        "digit",
        "name");
  }
  check_role(in.role);
  check_email(in.email);
  check_display_name(in.display_name);
  if (in.password_hash.empty()) throw_param("password is required", "password");
  if (find_user_by_name(s, in.name)) throw_conflict("user '" + in.name + "' already exists");

  User u;
  u.id = new_id();
  u.name = in.name;
  u.display_name = in.display_name;
  u.email = in.email;
  u.role = in.role;
  u.created_at = u.updated_at = now_ms();
  try {
    s.exec(
        "INSERT INTO users (id, name, display_name, email, password_hash, role, disabled, "
        "created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)",
        {u.id, u.name, u.display_name, u.email, in.password_hash, u.role, u.created_at,
         u.updated_at});
  } catch (const store::UniqueViolation&) {
    throw_conflict("user '" + in.name + "' already exists");
  }
  create_personal_workspace(s, u.id, u.name);
  return u;
}

std::optional<User> find_user(store::Session& s, std::string_view id) {
  return find_by(s, "id", id);
}
std::optional<User> find_user(store::Store& st, std::string_view id) {
  return find_by(st, "id", id);
}
std::optional<User> find_user_by_name(store::Session& s, std::string_view name) {
  return find_by(s, "name", name);
}

User get_user(store::Store& st, std::string_view id) {
  auto u = find_user(st, id);
  if (!u) throw_not_found("user");
  return *u;
}

std::string password_hash_of(store::Store& st, std::string_view user_id) {
  auto rows = st.query("SELECT password_hash FROM users WHERE id = ?", {std::string(user_id)});
  return rows.empty() ? std::string() : rows[0].str("password_hash");
}

UserPage list_users(store::Store& st, const UserQuery& q) {
  std::string where = " WHERE 1 = 1";
  store::Params params;
  if (!q.keyword.empty()) {
    where +=
        " AND (name LIKE ? ESCAPE '\\' OR display_name LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE "
        "'\\')";
    std::string pat = store::like_pattern(q.keyword);
    params.insert(params.end(), {pat, pat, pat});
  }
  if (!q.role.empty()) {
    where += " AND role = ?";
    params.emplace_back(q.role);
  }
  UserPage page;
  page.total = st.query("SELECT COUNT(*) AS n FROM users" + where, params)[0].i64("n");
  params.insert(params.end(), {q.limit, q.offset});
  auto rows = st.query(std::string("SELECT ") + kUserColumns + " FROM users" + where +
                           " ORDER BY name LIMIT ? OFFSET ?",
                       params);
  for (auto r : rows) page.items.push_back(user_from_row(r));
  return page;
}

User update_user(store::Session& s, std::string_view id, const UserPatch& p) {
  auto found = find_user(s, id);
  if (!found) throw_not_found("user");
  User u = *found;
  if (p.role) check_role(*p.role);
  if (p.email) check_email(*p.email);
  if (p.display_name) check_display_name(*p.display_name);
  if (p.role && *p.role != "admin") keep_one_admin(s, u, "demote");
  if (p.disabled && *p.disabled) keep_one_admin(s, u, "disable");

  if (p.display_name) u.display_name = *p.display_name;
  if (p.email) u.email = *p.email;
  if (p.role) u.role = *p.role;
  if (p.disabled) u.disabled = *p.disabled;
  u.updated_at = now_ms();
  invalidate_auth_caches_on_commit(s);
  s.exec(
      "UPDATE users SET display_name = ?, email = ?, role = ?, disabled = ?, updated_at = ? WHERE "
      "id = ?",
      {u.display_name, u.email, u.role, int64_t{u.disabled}, u.updated_at, u.id});
  if (p.password_hash) {
    if (p.password_hash->empty()) throw_param("password must not be empty", "password");
    s.exec("UPDATE users SET password_hash = ? WHERE id = ?", {*p.password_hash, u.id});
  }
  return u;
}

void delete_user(store::Session& s, std::string_view id) {
  auto u = find_user(s, id);
  if (!u) throw_not_found("user");
  keep_one_admin(s, *u, "delete");
  invalidate_auth_caches_on_commit(s);
  // The personal workspace shares the user's id; deleting it first takes
  // the keys in it along (foreign keys cascade).
  s.exec("DELETE FROM workspaces WHERE id = ?", {u->id});
  s.exec("DELETE FROM users WHERE id = ?", {u->id});
}

int64_t count_active_admins(store::Session& s) {
  return s.query("SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND disabled = 0")[0].i64(
      "n");
}

}  // namespace hydra::auth
