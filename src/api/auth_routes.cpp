// POST /api/v1/auth/login, POST /api/v1/auth/logout, GET /api/v1/auth/me.
#include "api/auth_views.h"
#include "api/routes.h"
#include "auth/sessions.h"
#include "common/json.h"
#include "common/strings.h"

namespace hydra::api {
namespace {

std::string session_cookie(const Config& cfg, const std::string& token, int64_t max_age_s) {
  std::string c = std::string(auth::kSessionCookie) + "=" + token +
                  "; HttpOnly; SameSite=Lax; Path=/; Max-Age=" + std::to_string(max_age_s);
  // Over TLS the cookie must never travel in clear text.
  if (!cfg.tls_cert.empty() || starts_with(cfg.public_url, "https://")) c += "; Secure";
  return c;
}

http::Response login(ApiContext& ctx, http::Request& req) {
  boost::json::value body_json = json::parse(req.body);
  json::Fields f(body_json);
  auth::LoginRequest lr;
  lr.name = f.str("name");
  lr.password = f.str("password");
  f.done();
  lr.source_ip = req.remote_addr;
  lr.request_id = req.request_id;
  auth::LoginResult r = auth::login(ctx.store, ctx.config, lr);

  boost::json::object body;
  body["token"] = r.token;
  body["expires_at"] = r.expires_at;
  body["user"] = user_json(r.user);
  http::Response resp = ok(body);
  resp.set_header("Set-Cookie", session_cookie(ctx.config, r.token, ctx.config.session_ttl_s));
  resp.set_header("Cache-Control", "no-store");
  return resp;
}

http::Response logout(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_user(ctx, req);
  std::string token = presented_session_token(req);
  ctx.store.transact([&](store::Session& s) {
    auth::logout(s, token);
    audit::record(s, audit_event(c, "Logout", "session", c.user_id));
  });
  http::Response resp = http::Response::no_content();
  resp.set_header("Set-Cookie", session_cookie(ctx.config, "", 0));
  return resp;
}

http::Response me(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_user(ctx, req);
  auth::User u = auth::get_user(ctx.store, c.user_id);
  auth::WorkspaceQuery q;
  q.member_user_id = c.user_id;
  q.limit = 200;
  boost::json::array workspaces;
  for (const auto& w : auth::list_workspaces(ctx.store, q).items)
    workspaces.push_back(workspace_json(w));
  boost::json::object body;
  body["user"] = user_json(u);
  body["workspaces"] = std::move(workspaces);
  body["workspace_id"] = c.workspace_id;
  return ok(body);
}

}  // namespace

void register_auth_routes(http::Router& r, ApiContext& ctx) {
  r.add(
      "POST", "/api/v1/auth/login", [&ctx](http::Request& req) { return login(ctx, req); },
      "Log in with name and password; returns a session token and sets the session cookie");
  r.add(
      "POST", "/api/v1/auth/logout", [&ctx](http::Request& req) { return logout(ctx, req); },
      "End the current session");
  r.add(
      "GET", "/api/v1/auth/me", [&ctx](http::Request& req) { return me(ctx, req); },
      "The logged-in user and their workspaces");
}

}  // namespace hydra::api
