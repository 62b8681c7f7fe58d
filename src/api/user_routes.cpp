// /api/v1/users: administrators manage every user; users read and edit
// their own profile and password.
#include "api/auth_views.h"
#include "api/routes.h"
#include "auth/password.h"
#include "auth/sessions.h"
#include "common/error.h"
#include "common/json.h"

namespace hydra::api {
namespace {

// Non-administrators see only themselves; other ids look missing.
auth::User visible_user(ApiContext& ctx, const auth::Caller& c, const std::string& id) {
  if (!c.admin() && id != c.user_id) throw_not_found("user");
  return auth::get_user(ctx.store, id);
}

http::Response list_users(ApiContext& ctx, http::Request& req) {
  require_admin(ctx, req);
  PageParams p = page_params(req);
  auth::UserQuery q;
  q.keyword = req.query_param("keyword").value_or("");
  q.role = req.query_param("role").value_or("");
  if (!q.role.empty()) auth::check_role(q.role);
  q.offset = p.offset();
  q.limit = p.page_size;
  auto page = auth::list_users(ctx.store, q);
  boost::json::array items;
  for (const auto& u : page.items) items.push_back(user_json(u));
  return ok(page_body(std::move(items), page.total, p));
}

http::Response create_user(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_admin(ctx, req);
  boost::json::value body_json = json::parse(req.body);
  json::Fields f(body_json);
  auth::NewUser nu;
  nu.name = f.str("name");
  std::string password = f.str("password");
  nu.display_name = f.opt_str("display_name").value_or("");
  nu.email = f.opt_str("email").value_or("");
  nu.role = f.opt_str("role").value_or("user");
  f.done();
  auth::check_role(nu.role);
  nu.password_hash = auth::hash_password(password);  // slow: outside the transaction
  auth::User u;
  transact_or_conflict(ctx.store, [&](store::Session& s) {
    u = auth::create_user(s, nu);
    audit::Event e = audit_event(c, "CreateUser", "user", u.id);
    e.detail = "name=" + u.name + " role=" + u.role;
    audit::record(s, std::move(e));
  });
  return ok(user_json(u), 201);
}

http::Response get_user(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_user(ctx, req);
  return ok(user_json(visible_user(ctx, c, req.param("id"))));
}

// Field names changed by a patch, for the audit detail (never values of secrets).
std::string changed_fields(const auth::UserPatch& p) {
  std::string out;
  auto add = [&](bool set, const char* name) {
    if (set) out += (out.empty() ? "" : ",") + std::string(name);
  };
  add(p.display_name.has_value(), "display_name");
  add(p.email.has_value(), "email");
  add(p.role.has_value(), "role");
  add(p.disabled.has_value(), "disabled");
  add(p.password_hash.has_value(), "password");
  return out;
}

http::Response update_user(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_user(ctx, req);
  std::string id = req.param("id");
  visible_user(ctx, c, id);
  bool self = id == c.user_id;

  boost::json::value body_json = json::parse(req.body);
  json::Fields f(body_json);
  auth::UserPatch p;
  p.display_name = f.opt_str("display_name");
  p.email = f.opt_str("email");
  p.role = f.opt_str("role");
  p.disabled = f.opt_bool("disabled");
  auto password = f.opt_str("password");
  auto old_password = f.opt_str("old_password");
  f.done();
  if (!c.admin() && (p.role || p.disabled)) {
    throw_forbidden("only administrators may change roles or disable users");
  }
  if (password) {
    // Changing one's own password proves knowledge of the old one, so a
    // stolen session cannot lock the owner out.
    if (self) {
      if (!old_password)
        throw_param("'old_password' is required to change your password", "old_password");
      if (!auth::verify_password(auth::password_hash_of(ctx.store, id), *old_password)) {
        throw_param("'old_password' is incorrect", "old_password");
      }
    }
    p.password_hash = auth::hash_password(*password);
  } else if (old_password) {
    throw_param("'old_password' is only used together with 'password'", "old_password");
  }

  std::string keep_token = self ? presented_session_token(req) : "";
  auth::User u;
  transact_or_conflict(ctx.store, [&](store::Session& s) {
    u = auth::update_user(s, id, p);
    // A new password or a disabled account ends the other sessions.
    if (p.password_hash || (p.disabled && *p.disabled)) auth::revoke_sessions(s, id, keep_token);
    audit::Event e = audit_event(c, "UpdateUser", "user", id);
    e.detail = "fields=" + changed_fields(p);
    audit::record(s, std::move(e));
  });
  return ok(user_json(u));
}

http::Response delete_user(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_admin(ctx, req);
  std::string id = req.param("id");
  if (id == c.user_id) throw_conflict("you cannot delete your own account");
  ctx.store.transact([&](store::Session& s) {
    auto u = auth::find_user(s, id);
    if (!u) throw_not_found("user");
    auth::delete_user(s, id);
    audit::Event e = audit_event(c, "DeleteUser", "user", id);
    e.detail = "name=" + u->name;
    audit::record(s, std::move(e));
  });
  return http::Response::no_content();
}

}  // namespace

void register_user_routes(http::Router& r, ApiContext& ctx) {
  r.add(
      "GET", "/api/v1/users", [&ctx](http::Request& req) { return list_users(ctx, req); },
      "List users (admin); filters: keyword, role");
  r.add(
      "POST", "/api/v1/users", [&ctx](http::Request& req) { return create_user(ctx, req); },
      "Create a user with a personal workspace (admin)");
  r.add(
      "GET", "/api/v1/users/{id}", [&ctx](http::Request& req) { return get_user(ctx, req); },
      "Get a user (admin, or the user themself)");
  r.add(
      "PATCH", "/api/v1/users/{id}", [&ctx](http::Request& req) { return update_user(ctx, req); },
      "Update a user; users may change their own display name, email and password");
  r.add(
      "DELETE", "/api/v1/users/{id}", [&ctx](http::Request& req) { return delete_user(ctx, req); },
      "Delete a user with their personal workspace and keys (admin)");
}

}  // namespace hydra::api
