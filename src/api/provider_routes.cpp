// /api/v1/providers: the organisations models come from. Everyone logged in
// reads them; administrators change them.
#include "api/routes.h"
#include "catalog/provider.h"
#include "common/json.h"

namespace hydra::api {
namespace {

http::Response list_providers(ApiContext& ctx, http::Request& req) {
  require_user(ctx, req);
  PageParams p = page_params(req);
  auto all = catalog::list_providers(ctx.store);
  boost::json::array items;
  for (size_t i = static_cast<size_t>(p.offset());
       i < all.size() && items.size() < static_cast<size_t>(p.page_size); ++i) {
    items.push_back(catalog::to_json(all[i]));
  }
  return ok(page_body(std::move(items), static_cast<int64_t>(all.size()), p));
}

http::Response create_provider(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_admin(ctx, req);
  boost::json::value body = json::parse(req.body);
  auto p = catalog::create_provider(ctx.store, catalog::provider_from_json(body),
                                    audit_event(c, "", "", ""));
  return ok(catalog::to_json(p), 201);
}

http::Response get_provider(ApiContext& ctx, http::Request& req) {
  require_user(ctx, req);
  return ok(catalog::to_json(catalog::get_provider(ctx.store, req.param("id"))));
}

http::Response update_provider(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_admin(ctx, req);
  boost::json::value body = json::parse(req.body);
  auto p = catalog::update_provider(ctx.store, req.param("id"), body, audit_event(c, "", "", ""));
  return ok(catalog::to_json(p));
}

http::Response delete_provider(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_admin(ctx, req);
  catalog::delete_provider(ctx.store, req.param("id"), audit_event(c, "", "", ""));
  return http::Response::no_content();
}

}  // namespace

void register_provider_routes(http::Router& r, ApiContext& ctx) {
  auto bind = [&ctx](http::Response (*fn)(ApiContext&, http::Request&)) {
    return [&ctx, fn](http::Request& req) { return fn(ctx, req); };
  };
  r.add("GET", "/api/v1/providers", bind(list_providers), "List model providers");
  r.add("POST", "/api/v1/providers", bind(create_provider), "Create a model provider (admin)");
  r.add("GET", "/api/v1/providers/{id}", bind(get_provider), "Get a model provider");
  r.add("PATCH", "/api/v1/providers/{id}", bind(update_provider),
        "Update a model provider (admin)");
  r.add("DELETE", "/api/v1/providers/{id}", bind(delete_provider),
        "Delete a model provider (admin)");
}

}  // namespace hydra::api
