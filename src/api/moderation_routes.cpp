// /api/v1/moderation-rules: keyword and regular-expression deny lists on
// model input and output, global or per workspace. Administrators only:
// the rules themselves can reveal what an operator screens for.
#include "api/routes.h"
#include "common/json.h"
#include "moderation/rule_store.h"

namespace hydra::api {
namespace {

http::Response list_rules(ApiContext& ctx, http::Request& req) {
  require_admin(ctx, req);
  PageParams p = page_params(req);
  auto all = moderation::list_rules(ctx.store);
  auto workspace = req.query_param("workspace_id");
  boost::json::array items;
  int64_t total = 0;
  for (const auto& r : all) {
    if (workspace && r.workspace_id != *workspace) continue;
    if (total++ < p.offset() || static_cast<int64_t>(items.size()) >= p.page_size) continue;
    items.push_back(moderation::to_json(r));
  }
  return ok(page_body(std::move(items), total, p));
}

http::Response create_rule(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_admin(ctx, req);
  auto rule = moderation::rule_from_json(json::parse(req.body));
  auto r = moderation::create_rule(ctx.store, std::move(rule), audit_event(c, "", "", ""));
  return ok(moderation::to_json(r), 201);
}

http::Response get_rule(ApiContext& ctx, http::Request& req) {
  require_admin(ctx, req);
  return ok(moderation::to_json(moderation::get_rule(ctx.store, req.param("id"))));
}

http::Response update_rule(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_admin(ctx, req);
  boost::json::value body = json::parse(req.body);
  auto r = moderation::update_rule(ctx.store, req.param("id"), body, audit_event(c, "", "", ""));
  return ok(moderation::to_json(r));
}

http::Response delete_rule(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_admin(ctx, req);
  moderation::delete_rule(ctx.store, req.param("id"), audit_event(c, "", "", ""));
  return http::Response::no_content();
}

}  // namespace

void register_moderation_routes(http::Router& r, ApiContext& ctx) {
  auto bind = [&ctx](http::Response (*fn)(ApiContext&, http::Request&)) {
    return [&ctx, fn](http::Request& req) { return fn(ctx, req); };
  };
  r.add("GET", "/api/v1/moderation-rules", bind(list_rules),
        "List moderation rules (?workspace_id=; admin)");
  r.add("POST", "/api/v1/moderation-rules", bind(create_rule),
        "Create a keyword or regex moderation rule (admin)");
  r.add("GET", "/api/v1/moderation-rules/{id}", bind(get_rule), "Get a moderation rule (admin)");
  r.add("PATCH", "/api/v1/moderation-rules/{id}", bind(update_rule),
        "Update a moderation rule (admin)");
  r.add("DELETE", "/api/v1/moderation-rules/{id}", bind(delete_rule),
        "Delete a moderation rule (admin)");
}

}  // namespace hydra::api
