// /api/v1/limits: rate-limit rules (administrators). Each change is audited
// in its own transaction; gateways pick rules up within their poll interval.
// The rate limits a MaaS model carries are edited with the model.
#include "api/routes.h"
#include "common/error.h"
#include "common/json.h"
#include "limits/rule_store.h"

namespace hydra::api {
namespace {

http::Response list_limits(ApiContext& ctx, http::Request& req) {
  require_admin(ctx, req);
  PageParams p = page_params(req);
  auto rules = limits::list_rules(ctx.store);
  boost::json::array items;
  for (size_t i = static_cast<size_t>(p.offset());
       i < rules.size() && items.size() < static_cast<size_t>(p.page_size); ++i) {
    items.push_back(limits::to_json(rules[i]));
  }
  return ok(page_body(std::move(items), static_cast<int64_t>(rules.size()), p));
}

http::Response create_limit(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_admin(ctx, req);
  boost::json::value body = json::parse(req.body);
  limits::LimitRule rule = limits::rule_from_json(body);
  ctx.store.transact([&](store::Session& s) {
    rule = limits::insert_rule(s, rule);
    auto ev = audit_event(c, "CreateRateLimitRule", "rate_limit_rule", rule.id);
    ev.detail = json::dump(limits::to_json(rule));
    audit::record(s, std::move(ev));
  });
  return ok(limits::to_json(rule), 201);
}

http::Response get_limit(ApiContext& ctx, http::Request& req) {
  require_admin(ctx, req);
  std::optional<limits::LimitRule> rule;
  ctx.store.transact([&](store::Session& s) { rule = limits::find_rule(s, req.param("id")); });
  if (!rule) throw_not_found("rate-limit rule '" + req.param("id") + "'");
  return ok(limits::to_json(*rule));
}

http::Response update_limit(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_admin(ctx, req);
  boost::json::value body = json::parse(req.body);
  limits::LimitRule rule;
  ctx.store.transact([&](store::Session& s) {
    auto found = limits::find_rule(s, req.param("id"));
    if (!found) throw_not_found("rate-limit rule '" + req.param("id") + "'");
    rule = *found;
    limits::apply_rule_patch(rule, body);
    limits::update_rule(s, rule);
    auto ev = audit_event(c, "UpdateRateLimitRule", "rate_limit_rule", rule.id);
    ev.detail = json::dump(limits::to_json(rule));
    audit::record(s, std::move(ev));
  });
  return ok(limits::to_json(rule));
}

http::Response delete_limit(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_admin(ctx, req);
  ctx.store.transact([&](store::Session& s) {
    if (!limits::delete_rule(s, req.param("id"))) {
      throw_not_found("rate-limit rule '" + req.param("id") + "'");
    }
    audit::record(s, audit_event(c, "DeleteRateLimitRule", "rate_limit_rule", req.param("id")));
  });
  return http::Response::no_content();
}

}  // namespace

void register_limit_routes(http::Router& r, ApiContext& ctx) {
  auto bind = [&ctx](http::Response (*fn)(ApiContext&, http::Request&)) {
    return [&ctx, fn](http::Request& req) { return fn(ctx, req); };
  };
  r.add("GET", "/api/v1/limits", bind(list_limits), "List rate-limit rules (admin)");
  r.add("POST", "/api/v1/limits", bind(create_limit), "Create a rate-limit rule (admin)");
  r.add("GET", "/api/v1/limits/{id}", bind(get_limit), "Get a rate-limit rule (admin)");
  r.add("PATCH", "/api/v1/limits/{id}", bind(update_limit), "Update a rate-limit rule (admin)");
  r.add("DELETE", "/api/v1/limits/{id}", bind(delete_limit), "Delete a rate-limit rule (admin)");
}

}  // namespace hydra::api
