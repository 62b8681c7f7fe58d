#pragma once
// Workspaces (tenants) and their memberships. A workspace's slug appears in
// access names such as "<slug>/<deployment>"; personal workspaces use the
// reserved form "u-" + 12 hex digits and share their owner's id.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace hydra::auth {

struct Workspace {
  std::string id;
  std::string slug;
  std::string name;
  std::string description;
  bool personal = false;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  std::string role;  // in lists for one user: that user's membership role
};

struct Membership {
  std::string workspace_id;
  std::string user_id;
  std::string user_name;
  std::string role;  // "owner" or "member"
  int64_t created_at = 0;
};

// "u-" followed by exactly 12 lower-case hex digits.
bool is_personal_slug(std::string_view slug);
// "owner" or "member"; anything else throws PARAM_ERROR.
void check_member_role(const std::string& role, const std::string& param = "role");

struct NewWorkspace {
  std::string slug;
  std::string name;  // defaults to the slug
  std::string description;
};

// Creates a workspace with `owner_user_id` as its owner. PARAM_ERROR on an
// invalid or reserved slug, CONFLICT when the slug is taken.
Workspace create_workspace(store::Session& s, const NewWorkspace& w,
                           std::string_view owner_user_id);
// The personal workspace of a new user: id = user id, random "u-" slug.
Workspace create_personal_workspace(store::Session& s, std::string_view user_id,
                                    std::string_view user_name);

std::optional<Workspace> find_workspace(store::Session& s, std::string_view id);
std::optional<Workspace> find_workspace(store::Store& st, std::string_view id);
// Accepts an id or a slug.
std::optional<Workspace> find_workspace_by_ref(store::Store& st, std::string_view id_or_slug);

struct WorkspaceQuery {
  std::string member_user_id;  // "" for every workspace (administrators)
  std::string keyword;         // matches slug or name
  int64_t offset = 0;
  int64_t limit = 20;
};
struct WorkspacePage {
  std::vector<Workspace> items;
  int64_t total = 0;
};
WorkspacePage list_workspaces(store::Store& st, const WorkspaceQuery& q);

struct WorkspacePatch {
  std::optional<std::string> name;
  std::optional<std::string> description;
};
Workspace update_workspace(store::Session& s, std::string_view id, const WorkspacePatch& p);
// Deletes the workspace and everything in it (memberships, keys). Personal
// workspaces go only with their user: CONFLICT.
void delete_workspace(store::Session& s, std::string_view id);

// "" when the user is not a member.
std::string member_role(store::Session& s, std::string_view workspace_id, std::string_view user_id);
std::string member_role(store::Store& st, std::string_view workspace_id, std::string_view user_id);

// NOT_FOUND for a missing workspace or user; CONFLICT if already a member.
Membership add_member(store::Session& s, std::string_view workspace_id, std::string_view user_id,
                      const std::string& role);
// NOT_FOUND when not a member; CONFLICT for the last owner, or the owner of
// a personal workspace.
void remove_member(store::Session& s, std::string_view workspace_id, std::string_view user_id);

struct MemberPage {
  std::vector<Membership> items;
  int64_t total = 0;
};
MemberPage list_members(store::Store& st, std::string_view workspace_id, int64_t offset,
                        int64_t limit);

}  // namespace hydra::auth
