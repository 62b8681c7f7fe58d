// /api/v1/workspaces and their members. Members may read a workspace and
// its member list; owners and administrators change them; to everyone else
// a workspace looks missing.
#include "api/auth_views.h"
#include "api/routes.h"
#include "common/error.h"
#include "common/json.h"

namespace hydra::api {
namespace {

struct Access {
  auth::Caller caller;
  auth::Workspace workspace;
};

// The workspace in the path ({id} is an id or a slug) if the caller may see it.
Access visible_workspace(ApiContext& ctx, http::Request& req) {
  Access a{require_user(ctx, req), {}};
  auto w = auth::find_workspace_by_ref(ctx.store, req.param("id"));
  std::string role = w ? auth::member_role(ctx.store, w->id, a.caller.user_id) : "";
  if (!w || (!a.caller.admin() && role.empty())) throw_not_found("workspace");
  a.workspace = *w;
  a.workspace.role = role;
  return a;
}

Access managed_workspace(ApiContext& ctx, http::Request& req) {
  Access a = visible_workspace(ctx, req);
  if (!a.caller.admin() && a.workspace.role != "owner") {
    throw_forbidden("only the workspace's owners and administrators may change it");
  }
  return a;
}

audit::Event workspace_event(const auth::Caller& c, const char* action, const std::string& ws_id) {
  audit::Event e = audit_event(c, action, "workspace", ws_id);
  e.workspace_id = ws_id;
  return e;
}

http::Response list_workspaces(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_user(ctx, req);
  PageParams p = page_params(req);
  auth::WorkspaceQuery q;
  // Administrators see every workspace; ?mine=true narrows to their own.
  if (!c.admin() || req.query_param("mine").value_or("") == "true") q.member_user_id = c.user_id;
  q.keyword = req.query_param("keyword").value_or("");
  q.offset = p.offset();
  q.limit = p.page_size;
  auto page = auth::list_workspaces(ctx.store, q);
  boost::json::array items;
  for (const auto& w : page.items) items.push_back(workspace_json(w));
  return ok(page_body(std::move(items), page.total, p));
}

http::Response create_workspace(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_admin(ctx, req);
  boost::json::value body_json = json::parse(req.body);
  json::Fields f(body_json);
  auth::NewWorkspace nw;
  nw.slug = f.str("slug");
  nw.name = f.opt_str("name").value_or("");
  nw.description = f.opt_str("description").value_or("");
  f.done();
  auth::Workspace w;
  transact_or_conflict(ctx.store, [&](store::Session& s) {
    w = auth::create_workspace(s, nw, c.user_id);
    audit::Event e = workspace_event(c, "CreateWorkspace", w.id);
    e.detail = "slug=" + w.slug;
    audit::record(s, std::move(e));
  });
  return ok(workspace_json(w), 201);
}

http::Response get_workspace(ApiContext& ctx, http::Request& req) {
  return ok(workspace_json(visible_workspace(ctx, req).workspace));
}

http::Response update_workspace(ApiContext& ctx, http::Request& req) {
  Access a = managed_workspace(ctx, req);
  boost::json::value body_json = json::parse(req.body);
  json::Fields f(body_json);
  auth::WorkspacePatch p;
  p.name = f.opt_str("name");
  p.description = f.opt_str("description");
  f.done();
  auth::Workspace w;
  ctx.store.transact([&](store::Session& s) {
    w = auth::update_workspace(s, a.workspace.id, p);
    audit::record(s, workspace_event(a.caller, "UpdateWorkspace", w.id));
  });
  w.role = a.workspace.role;
  return ok(workspace_json(w));
}

http::Response delete_workspace(ApiContext& ctx, http::Request& req) {
  Access a = managed_workspace(ctx, req);
  ctx.store.transact([&](store::Session& s) {
    auth::delete_workspace(s, a.workspace.id);
    audit::Event e = workspace_event(a.caller, "DeleteWorkspace", a.workspace.id);
    e.detail = "slug=" + a.workspace.slug;
    audit::record(s, std::move(e));
  });
  return http::Response::no_content();
}

http::Response list_members(ApiContext& ctx, http::Request& req) {
  Access a = visible_workspace(ctx, req);
  PageParams p = page_params(req);
  auto page = auth::list_members(ctx.store, a.workspace.id, p.offset(), p.page_size);
  boost::json::array items;
  for (const auto& m : page.items) items.push_back(member_json(m));
  return ok(page_body(std::move(items), page.total, p));
}

http::Response add_member(ApiContext& ctx, http::Request& req) {
  Access a = managed_workspace(ctx, req);
  boost::json::value body_json = json::parse(req.body);
  json::Fields f(body_json);
  std::string user_ref = f.str("user_id");
  std::string role = f.opt_str("role").value_or("member");
  f.done();
  auth::Membership m;
  transact_or_conflict(ctx.store, [&](store::Session& s) {
    // Accept a user name too: operators remember names, not ids.
    auto u = auth::find_user(s, user_ref);
    if (!u) u = auth::find_user_by_name(s, user_ref);
    if (!u) throw ApiError(ErrorCode::kNotFound, "user not found", "user_id");
    m = auth::add_member(s, a.workspace.id, u->id, role);
    audit::Event e = workspace_event(a.caller, "AddWorkspaceMember", a.workspace.id);
    e.detail = "user=" + u->name + " role=" + role;
    audit::record(s, std::move(e));
  });
  return ok(member_json(m), 201);
}

http::Response remove_member(ApiContext& ctx, http::Request& req) {
  Access a = managed_workspace(ctx, req);
  std::string user_id = req.param("user_id");
  ctx.store.transact([&](store::Session& s) {
    auth::remove_member(s, a.workspace.id, user_id);
    audit::Event e = workspace_event(a.caller, "RemoveWorkspaceMember", a.workspace.id);
    e.detail = "user_id=" + user_id;
    audit::record(s, std::move(e));
  });
  return http::Response::no_content();
}

}  // namespace

void register_workspace_routes(http::Router& r, ApiContext& ctx) {
  auto bind = [&ctx](http::Response (*fn)(ApiContext&, http::Request&)) {
    return [&ctx, fn](http::Request& req) { return fn(ctx, req); };
  };
  r.add("GET", "/api/v1/workspaces", bind(list_workspaces),
        "List workspaces (admin: all, or ?mine=true; users: their memberships)");
  r.add("POST", "/api/v1/workspaces", bind(create_workspace), "Create a workspace (admin)");
  r.add("GET", "/api/v1/workspaces/{id}", bind(get_workspace), "Get a workspace by id or slug");
  r.add("PATCH", "/api/v1/workspaces/{id}", bind(update_workspace),
        "Update a workspace's name or description (admin or owner)");
  r.add("DELETE", "/api/v1/workspaces/{id}", bind(delete_workspace),
        "Delete a workspace with its keys (admin or owner; not personal workspaces)");
  r.add("GET", "/api/v1/workspaces/{id}/members", bind(list_members), "List a workspace's members");
  r.add("POST", "/api/v1/workspaces/{id}/members", bind(add_member),
        "Add a member {user_id, role: owner|member} (admin or owner)");
  r.add("DELETE", "/api/v1/workspaces/{id}/members/{user_id}", bind(remove_member),
        "Remove a member (admin or owner)");
}

}  // namespace hydra::api
