#include "auth/workspaces.h"

#include "auth/auth_epoch.h"
#include "auth/text_checks.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/random.h"
#include "common/strings.h"

namespace hydra::auth {
namespace {

constexpr const char* kWorkspaceSelect =
    "SELECT w.id, w.slug, w.name, w.description, w.created_at, w.updated_at, "
    "CASE WHEN EXISTS (SELECT 1 FROM users u WHERE u.id = w.id) THEN 1 ELSE 0 END AS personal";

Workspace workspace_from_row(const store::Rows::Row& r) {
  Workspace w;
  w.id = r.str("id");
  w.slug = r.str("slug");
  w.name = r.str("name");
  w.description = r.str("description");
  w.personal = r.boolean("personal");
  w.created_at = r.i64("created_at");
  w.updated_at = r.i64("updated_at");
  return w;
}

template <class Q>
std::optional<Workspace> find_where(Q& q, const char* column, std::string_view value) {
  auto rows =
      q.query(std::string(kWorkspaceSelect) + " FROM workspaces w WHERE w." + column + " = ?",
              {std::string(value)});
  if (rows.empty()) return std::nullopt;
  return workspace_from_row(rows[0]);
}

template <class Q>
std::string role_of(Q& q, std::string_view workspace_id, std::string_view user_id) {
  auto rows = q.query("SELECT role FROM memberships WHERE workspace_id = ? AND user_id = ?",
                      {std::string(workspace_id), std::string(user_id)});
  return rows.empty() ? std::string() : rows[0].str("role");
}

void check_name_and_description(const std::string& name, const std::string& description) {
  check_plain_text(name, 128, "name");
  check_plain_text(description, 1024, "description");
}

Workspace insert_workspace(store::Session& s, Workspace w, std::string_view owner_user_id) {
  if (!s.query("SELECT id FROM workspaces WHERE slug = ?", {w.slug}).empty()) {
    throw_conflict("workspace '" + w.slug + "' already exists");
  }
  w.created_at = w.updated_at = now_ms();
  try {
    s.exec(
        "INSERT INTO workspaces (id, slug, name, description, created_at, updated_at) VALUES (?, "
        "?, ?, "
        "?, ?, ?)",
        {w.id, w.slug, w.name, w.description, w.created_at, w.updated_at});
  } catch (const store::UniqueViolation&) {
    throw_conflict("workspace '" + w.slug + "' already exists");
  }
  s.exec(
      "INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES (?, ?, 'owner', ?)",
      {w.id, std::string(owner_user_id), w.created_at});
  w.role = "owner";
  return w;
}

}  // namespace

bool is_personal_slug(std::string_view slug) {
  if (slug.size() != 14 || !starts_with(slug, "u-")) return false;
  for (char c : slug.substr(2)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

void check_member_role(const std::string& role, const std::string& param) {
  if (role != "owner" && role != "member") throw_param("role must be 'owner' or 'member'", param);
}

Workspace create_workspace(store::Session& s, const NewWorkspace& in,
                           std::string_view owner_user_id) {
  if (!valid_resource_name(in.slug)) {
    throw_param(
        "slug must be 2-64 characters of a-z, 0-9 and '-', starting and ending with a letter or "
        "digit",
        "slug");
  }
  if (is_personal_slug(in.slug)) {
    throw_param("slugs of the form u-<12 hex digits> are reserved for personal workspaces", "slug");
  }
  check_name_and_description(in.name, in.description);
  if (s.query("SELECT id FROM users WHERE id = ?", {std::string(owner_user_id)}).empty()) {
    throw_not_found("user");
  }
  Workspace w;
  w.id = new_id();
  w.slug = in.slug;
  w.name = in.name.empty() ? in.slug : in.name;
  w.description = in.description;
  return insert_workspace(s, std::move(w), owner_user_id);
}

Workspace create_personal_workspace(store::Session& s, std::string_view user_id,
                                    std::string_view user_name) {
  Workspace w;
  w.id = std::string(user_id);
  w.name = std::string(user_name);
  w.description = "Personal workspace of " + std::string(user_name);
  w.personal = true;
  // 48 random bits: a clash is rare, and checked before the insert.
  for (int attempt = 0;; ++attempt) {
    w.slug = "u-" + random_hex(6);
    if (s.query("SELECT id FROM workspaces WHERE slug = ?", {w.slug}).empty() || attempt >= 8)
      break;
  }
  return insert_workspace(s, std::move(w), user_id);
}

std::optional<Workspace> find_workspace(store::Session& s, std::string_view id) {
  return find_where(s, "id", id);
}
std::optional<Workspace> find_workspace(store::Store& st, std::string_view id) {
  return find_where(st, "id", id);
}

std::optional<Workspace> find_workspace_by_ref(store::Store& st, std::string_view id_or_slug) {
  if (auto w = find_where(st, "id", id_or_slug)) return w;
  return find_where(st, "slug", id_or_slug);
}

WorkspacePage list_workspaces(store::Store& st, const WorkspaceQuery& q) {
  std::string from = " FROM workspaces w";
  std::string select = kWorkspaceSelect;
  store::Params params;
  if (!q.member_user_id.empty()) {
    from += " JOIN memberships m ON m.workspace_id = w.id AND m.user_id = ?";
    select += ", m.role AS role";
    params.emplace_back(q.member_user_id);
  }
  std::string where = " WHERE 1 = 1";
  if (!q.keyword.empty()) {
    where += " AND (w.slug LIKE ? ESCAPE '\\' OR w.name LIKE ? ESCAPE '\\')";
    std::string pat = store::like_pattern(q.keyword);
    params.insert(params.end(), {pat, pat});
  }
  WorkspacePage page;
  page.total = st.query("SELECT COUNT(*) AS n" + from + where, params)[0].i64("n");
  params.insert(params.end(), {q.limit, q.offset});
  auto rows =
      st.query(select + from + where + " ORDER BY w.created_at, w.id LIMIT ? OFFSET ?", params);
  for (auto r : rows) {
    Workspace w = workspace_from_row(r);
    if (!q.member_user_id.empty()) w.role = r.str("role");
    page.items.push_back(std::move(w));
  }
  return page;
}

Workspace update_workspace(store::Session& s, std::string_view id, const WorkspacePatch& p) {
  auto found = find_workspace(s, id);
  if (!found) throw_not_found("workspace");
  Workspace w = *found;
  if (p.name) w.name = *p.name;
  if (p.description) w.description = *p.description;
  if (w.name.empty()) throw_param("'name' must not be empty", "name");
  check_name_and_description(w.name, w.description);
  w.updated_at = now_ms();
  s.exec("UPDATE workspaces SET name = ?, description = ?, updated_at = ? WHERE id = ?",
         {w.name, w.description, w.updated_at, w.id});
  return w;
}

void delete_workspace(store::Session& s, std::string_view id) {
  auto w = find_workspace(s, id);
  if (!w) throw_not_found("workspace");
  if (w->personal) throw_conflict("a personal workspace is deleted only together with its user");
  invalidate_auth_caches_on_commit(s);
  s.exec("DELETE FROM workspaces WHERE id = ?", {w->id});
}

std::string member_role(store::Session& s, std::string_view workspace_id,
                        std::string_view user_id) {
  return role_of(s, workspace_id, user_id);
}
std::string member_role(store::Store& st, std::string_view workspace_id, std::string_view user_id) {
  return role_of(st, workspace_id, user_id);
}

Membership add_member(store::Session& s, std::string_view workspace_id, std::string_view user_id,
                      const std::string& role) {
  check_member_role(role);
  if (!find_workspace(s, workspace_id)) throw_not_found("workspace");
  auto user = s.query("SELECT name FROM users WHERE id = ?", {std::string(user_id)});
  if (user.empty()) throw_not_found("user");
  if (!role_of(s, workspace_id, user_id).empty()) {
    throw_conflict("user is already a member of this workspace");
  }
  Membership m{std::string(workspace_id), std::string(user_id), user[0].str("name"), role,
               now_ms()};
  s.exec("INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES (?, ?, ?, ?)",
         {m.workspace_id, m.user_id, m.role, m.created_at});
  return m;
}

void remove_member(store::Session& s, std::string_view workspace_id, std::string_view user_id) {
  std::string role = role_of(s, workspace_id, user_id);
  if (role.empty()) throw_not_found("membership");
  if (workspace_id == user_id) {
    throw_conflict("the owner of a personal workspace cannot be removed from it");
  }
  if (role == "owner") {
    auto owners =
        s.query("SELECT COUNT(*) AS n FROM memberships WHERE workspace_id = ? AND role = 'owner'",
                {std::string(workspace_id)});
    if (owners[0].i64("n") <= 1) throw_conflict("cannot remove the last owner of a workspace");
  }
  invalidate_auth_caches_on_commit(s);
  s.exec("DELETE FROM memberships WHERE workspace_id = ? AND user_id = ?",
         {std::string(workspace_id), std::string(user_id)});
}

MemberPage list_members(store::Store& st, std::string_view workspace_id, int64_t offset,
                        int64_t limit) {
  MemberPage page;
  page.total = st.query("SELECT COUNT(*) AS n FROM memberships WHERE workspace_id = ?",
                        {std::string(workspace_id)})[0]
                   .i64("n");
  auto rows = st.query(
      "SELECT m.workspace_id, m.user_id, u.name AS user_name, m.role, m.created_at FROM "
      "memberships m "
      "JOIN users u ON u.id = m.user_id WHERE m.workspace_id = ? ORDER BY m.created_at, u.name "
      "LIMIT ? OFFSET ?",
      {std::string(workspace_id), limit, offset});
  for (auto r : rows) {
    page.items.push_back({r.str("workspace_id"), r.str("user_id"), r.str("user_name"),
                          r.str("role"), r.i64("created_at")});
  }
  return page;
}

}  // namespace hydra::auth
