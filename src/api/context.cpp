#include "api/context.h"

#include <any>

#include "api/auth_views.h"
#include "auth/auth_epoch.h"
#include "auth/sessions.h"
#include "auth/workspaces.h"
#include "common/error.h"
#include "common/strings.h"

namespace hydra::api {
namespace {

std::string session_token(const http::Request& req) {
  std::string token = presented_session_token(req);
  if (starts_with(token, "sk-")) {
    throw ApiError(ErrorCode::kUnauthenticated,
                   "API keys are for the /v1 endpoints; log in to use the management API");
  }
  return token;
}

// X-Hydra-Workspace picks the workspace (id or slug) the request acts in.
// Workspaces the caller may not use look exactly like missing ones.
void choose_workspace(ApiContext& ctx, const http::Request& req, auth::Caller& c) {
  const std::string* h = req.header("x-hydra-workspace");
  if (!h || trim(*h).empty()) return;
  auto w = auth::find_workspace_by_ref(ctx.store, trim(*h));
  if (!w || (!c.admin() && auth::member_role(ctx.store, w->id, c.user_id).empty())) {
    throw ApiError(ErrorCode::kNotFound, "workspace '" + trim(*h) + "' not found",
                   "X-Hydra-Workspace");
  }
  c.workspace_id = w->id;
}

int64_t positive_query_int(const http::Request& req, const char* name, int64_t fallback) {
  auto v = req.query_param(name);
  if (!v) return fallback;
  if (v->empty() || v->size() > 9 || v->find_first_not_of("0123456789") != std::string::npos) {
    throw_param(std::string("'") + name + "' must be a positive integer", name);
  }
  return std::stoll(*v);
}

}  // namespace

auth::Caller require_user(ApiContext& ctx, http::Request& req) {
  if (const auto* cached = std::any_cast<auth::Caller>(&req.auth)) return *cached;
  std::string token = session_token(req);
  if (token.empty()) {
    throw ApiError(
        ErrorCode::kUnauthenticated,
        "login required: send the hydra_session cookie or Authorization: Bearer <token>");
  }
  uint64_t epoch = auth::auth_epoch();  // read before the query, see session_cache.h
  auto c = ctx.sessions->find(token, epoch);
  if (!c) {
    c = auth::resolve(ctx.store, token);
    if (!c)
      throw ApiError(ErrorCode::kUnauthenticated, "session is invalid or expired; log in again");
    ctx.sessions->put(token, epoch, *c);
  }
  c->source_ip = req.remote_addr;
  c->request_id = req.request_id;
  choose_workspace(ctx, req, *c);
  req.auth = *c;
  return *c;
}

std::optional<auth::Caller> cached_user(ApiContext& ctx, const http::Request& req) {
  const std::string* ws = req.header("x-hydra-workspace");
  if (ws && !trim(*ws).empty()) return std::nullopt;
  std::string token = presented_session_token(req);
  if (token.empty() || starts_with(token, "sk-")) return std::nullopt;
  return ctx.sessions->find(token, auth::auth_epoch());
}

auth::Caller require_admin(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_user(ctx, req);
  if (!c.admin()) throw_forbidden("this action needs the administrator role");
  return c;
}

PageParams page_params(const http::Request& req) {
  PageParams p;
  p.page = positive_query_int(req, "page", 1);
  p.page_size = positive_query_int(req, "page_size", 20);
  if (p.page < 1) throw_param("'page' must be at least 1", "page");
  if (p.page_size < 1 || p.page_size > 200)
    throw_param("'page_size' must be between 1 and 200", "page_size");
  return p;
}

boost::json::object page_body(boost::json::array items, int64_t total, const PageParams& p) {
  boost::json::object o;
  o["items"] = std::move(items);
  o["total"] = total;
  o["page"] = p.page;
  o["page_size"] = p.page_size;
  return o;
}

http::Response ok(const boost::json::value& body, int status) {
  return http::Response::json(status, body);
}

audit::Event audit_event(const auth::Caller& c, std::string action, std::string resource_type,
                         std::string resource_id) {
  audit::Event e;
  e.actor_id = c.user_id;
  e.actor_name = c.user_name;
  e.workspace_id = c.workspace_id;
  e.action = std::move(action);
  e.resource_type = std::move(resource_type);
  e.resource_id = std::move(resource_id);
  e.source_ip = c.source_ip;
  e.request_id = c.request_id;
  return e;
}

}  // namespace hydra::api
