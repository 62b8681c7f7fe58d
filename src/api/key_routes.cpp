// /api/v1/api-keys. The key itself appears once, in the answer to POST. A
// user never sees another user's keys: their ids answer 404 like missing ones.
#include "api/auth_views.h"
#include "api/routes.h"
#include "common/error.h"
#include "common/json.h"

namespace hydra::api {
namespace {

auth::ApiKey visible_key(ApiContext& ctx, const auth::Caller& c, const std::string& id) {
  auto k = auth::find_api_key(ctx.store, id);
  if (!k || !auth::can_manage(c, *k)) throw_not_found("API key");
  return *k;
}

// The workspace a new key goes to: the body's workspace_id (id or slug),
// else the request's workspace (X-Hydra-Workspace or the personal one).
std::string key_workspace(ApiContext& ctx, const auth::Caller& c,
                          const std::optional<std::string>& ref) {
  if (!ref) return c.workspace_id;
  auto w = auth::find_workspace_by_ref(ctx.store, *ref);
  if (!w) throw ApiError(ErrorCode::kNotFound, "workspace not found", "workspace_id");
  return w->id;
}

http::Response create_key(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_user(ctx, req);
  boost::json::value body_json = json::parse(req.body);
  json::Fields f(body_json);
  auth::NewApiKey nk;
  nk.user_id = c.user_id;
  nk.name = f.opt_str("name").value_or("");
  auto workspace_ref = f.opt_str("workspace_id");
  nk.expires_at = f.opt_i64("expires_at").value_or(0);
  nk.allowed_models = f.opt_str_list("allowed_models").value_or(std::vector<std::string>{});
  f.done();
  nk.workspace_id = key_workspace(ctx, c, workspace_ref);
  nk.any_workspace = c.admin();

  auth::CreatedApiKey created;
  transact_or_conflict(ctx.store, [&](store::Session& s) {
    created = auth::create_api_key(s, nk, ctx.config.max_keys_per_user);
    audit::Event e = audit_event(c, "CreateWSAPIKey", "api_key", created.key.id);
    e.workspace_id = created.key.workspace_id;
    e.detail = "name=" + created.key.name + " masked=" + created.key.masked;
    audit::record(s, std::move(e));
  });
  boost::json::object body = api_key_json(created.key);
  body["key"] = created.plaintext;
  http::Response resp = ok(body, 201);
  resp.set_header("Cache-Control", "no-store");
  return resp;
}

http::Response list_keys(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_user(ctx, req);
  PageParams p = page_params(req);
  auth::ApiKeyQuery q;
  bool all = c.admin() && req.query_param("all").value_or("") == "true";
  q.user_id = all ? req.query_param("user_id").value_or("") : c.user_id;
  if (auto ws = req.query_param("workspace_id"); ws && !ws->empty()) {
    auto w = auth::find_workspace_by_ref(ctx.store, *ws);
    // An unknown workspace simply has no keys; answering 404 would leak nothing new either.
    q.workspace_id = w ? w->id : *ws;
  }
  q.offset = p.offset();
  q.limit = p.page_size;
  auto page = auth::list_api_keys(ctx.store, q);
  boost::json::array items;
  for (const auto& k : page.items) items.push_back(api_key_json(k));
  return ok(page_body(std::move(items), page.total, p));
}

http::Response get_key(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_user(ctx, req);
  return ok(api_key_json(visible_key(ctx, c, req.param("id"))));
}

http::Response delete_key(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_user(ctx, req);
  std::string id = req.param("id");
  ctx.store.transact([&](store::Session& s) {
    // Checked again inside the transaction: the key may have just gone.
    auto k = auth::find_api_key(s, id);
    if (!k || !auth::can_manage(c, *k)) throw_not_found("API key");
    auth::delete_api_key(s, id);
    audit::Event e = audit_event(c, "DeleteWSAPIKey", "api_key", id);
    e.workspace_id = k->workspace_id;
    e.detail = "name=" + k->name + " masked=" + k->masked;
    audit::record(s, std::move(e));
  });
  return http::Response::no_content();
}

}  // namespace

void register_key_routes(http::Router& r, ApiContext& ctx) {
  auto bind = [&ctx](http::Response (*fn)(ApiContext&, http::Request&)) {
    return [&ctx, fn](http::Request& req) { return fn(ctx, req); };
  };
  r.add(
      "POST", "/api/v1/api-keys", bind(create_key),
      "Create an API key {name, workspace_id, expires_at, allowed_models}; the key is shown once");
  r.add("GET", "/api/v1/api-keys", bind(list_keys),
        "List your API keys, masked (admin: ?all=true for every user's)");
  r.add("GET", "/api/v1/api-keys/{id}", bind(get_key), "Get one of your API keys, masked");
  r.add("DELETE", "/api/v1/api-keys/{id}", bind(delete_key),
        "Delete an API key; effective on the next request");
}

}  // namespace hydra::api
