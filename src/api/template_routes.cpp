// /api/v1/runtime-templates and /api/v1/deployment-templates. Everyone
// logged in reads them (users pick a template when they deploy); only
// administrators change them. Templates of unpublished models stay hidden
// from non-administrators, like the models themselves.
#include <set>

#include "api/routes.h"
#include "catalog/deployment_template.h"
#include "catalog/model_store.h"
#include "catalog/runtime_template.h"
#include "common/error.h"
#include "common/json.h"

namespace hydra::api {
namespace {

template <typename T>
boost::json::object paged(std::vector<T> all, const PageParams& p) {
  boost::json::array items;
  for (size_t i = static_cast<size_t>(p.offset());
       i < all.size() && items.size() < static_cast<size_t>(p.page_size); ++i) {
    items.push_back(catalog::to_json(all[i]));
  }
  return page_body(std::move(items), static_cast<int64_t>(all.size()), p);
}

http::Response list_runtimes(ApiContext& ctx, http::Request& req) {
  require_user(ctx, req);
  return ok(paged(catalog::list_runtime_templates(ctx.store), page_params(req)));
}

http::Response create_runtime(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_admin(ctx, req);
  boost::json::value body = json::parse(req.body);
  auto t = catalog::create_runtime_template(ctx.store, catalog::runtime_template_from_json(body),
                                            audit_event(c, "", "", ""));
  return ok(catalog::to_json(t), 201);
}

http::Response get_runtime(ApiContext& ctx, http::Request& req) {
  require_user(ctx, req);
  return ok(catalog::to_json(catalog::get_runtime_template(ctx.store, req.param("name"))));
}

http::Response update_runtime(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_admin(ctx, req);
  boost::json::value body = json::parse(req.body);
  auto t = catalog::update_runtime_template(ctx.store, req.param("name"), body,
                                            audit_event(c, "", "", ""));
  return ok(catalog::to_json(t));
}

http::Response delete_runtime(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_admin(ctx, req);
  catalog::delete_runtime_template(ctx.store, req.param("name"), audit_event(c, "", "", ""));
  return http::Response::no_content();
}

// Ids of the published models, for filtering what a non-administrator sees.
std::set<std::string> published_models(ApiContext& ctx) {
  std::set<std::string> out;
  for (auto r : ctx.store.query("SELECT id FROM models WHERE published = 1"))
    out.insert(r.str("id"));
  return out;
}

void check_visible(ApiContext& ctx, const auth::Caller& c, const std::string& model_id,
                   const std::string& what) {
  if (!c.admin() && !published_models(ctx).count(model_id)) throw_not_found(what);
}

http::Response list_deployment_templates(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_user(ctx, req);
  PageParams p = page_params(req);
  std::string model_id = req.query_param("model_id").value_or("");
  auto all = catalog::list_deployment_templates(ctx.store, model_id);
  if (!c.admin()) {
    auto visible = published_models(ctx);
    std::erase_if(all, [&](const auto& t) { return !visible.count(t.model_id); });
  }
  return ok(paged(std::move(all), p));
}

http::Response create_deployment_template(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_admin(ctx, req);
  boost::json::value body = json::parse(req.body);
  auto t = catalog::create_deployment_template(
      ctx.store, catalog::deployment_template_from_json(body), audit_event(c, "", "", ""));
  return ok(catalog::to_json(t), 201);
}

http::Response get_deployment_template(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_user(ctx, req);
  std::string id = req.param("id");
  auto t = catalog::get_deployment_template(ctx.store, id);
  check_visible(ctx, c, t.model_id, "deployment template '" + id + "'");
  return ok(catalog::to_json(t));
}

http::Response update_deployment_template(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_admin(ctx, req);
  boost::json::value body = json::parse(req.body);
  auto t = catalog::update_deployment_template(ctx.store, req.param("id"), body,
                                               audit_event(c, "", "", ""));
  return ok(catalog::to_json(t));
}

http::Response delete_deployment_template(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_admin(ctx, req);
  catalog::delete_deployment_template(ctx.store, req.param("id"), audit_event(c, "", "", ""));
  return http::Response::no_content();
}

}  // namespace

void register_template_routes(http::Router& r, ApiContext& ctx) {
  auto bind = [&ctx](http::Response (*fn)(ApiContext&, http::Request&)) {
    return [&ctx, fn](http::Request& req) { return fn(ctx, req); };
  };
  r.add("GET", "/api/v1/runtime-templates", bind(list_runtimes), "List runtime templates");
  r.add("POST", "/api/v1/runtime-templates", bind(create_runtime),
        "Create a runtime template (admin)");
  r.add("GET", "/api/v1/runtime-templates/{name}", bind(get_runtime),
        "Get a runtime template by name or id");
  r.add("PATCH", "/api/v1/runtime-templates/{name}", bind(update_runtime),
        "Update a runtime template (admin)");
  r.add("DELETE", "/api/v1/runtime-templates/{name}", bind(delete_runtime),
        "Delete an unused runtime template (admin)");
  r.add("GET", "/api/v1/deployment-templates", bind(list_deployment_templates),
        "List deployment templates (?model_id=)");
  r.add("POST", "/api/v1/deployment-templates", bind(create_deployment_template),
        "Create a deployment template (admin)");
  r.add("GET", "/api/v1/deployment-templates/{id}", bind(get_deployment_template),
        "Get a deployment template");
  r.add("PATCH", "/api/v1/deployment-templates/{id}", bind(update_deployment_template),
        "Update a deployment template (admin)");
  r.add("DELETE", "/api/v1/deployment-templates/{id}", bind(delete_deployment_template),
        "Delete a deployment template (admin)");
}

}  // namespace hydra::api
