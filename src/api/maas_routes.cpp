// /api/v1/maas-models: routes from `public/<id>` to upstream providers.
// Administrators see and manage the full configuration (keys only masked);
// other users see the enabled routes without their upstream details.
#include <memory>

#include "api/routes.h"
#include "catalog/maas_model.h"
#include "common/error.h"
#include "common/json.h"

namespace hydra::api {
namespace {

struct MaasContext {
  explicit MaasContext(ApiContext& ctx) : api(ctx), box(ctx.config) {}
  ApiContext& api;
  LazySecretBox box;
};

// What a model user needs to call the route, nothing about upstreams.
boost::json::object public_view(const catalog::MaasModel& m) {
  boost::json::object o = catalog::to_json(m);
  o.erase("endpoints");
  o.erase("entry_cluster");
  o.erase("lb_policy");
  return o;
}

boost::json::object view(const auth::Caller& c, const catalog::MaasModel& m) {
  return c.admin() ? catalog::to_json(m) : public_view(m);
}

http::Response list_maas(MaasContext& mc, http::Request& req) {
  auth::Caller c = require_user(mc.api, req);
  PageParams p = page_params(req);
  std::vector<catalog::MaasModel> visible;
  for (auto& m : catalog::list_maas_models(mc.api.store)) {
    if (c.admin() || m.enabled) visible.push_back(std::move(m));
  }
  boost::json::array items;
  for (size_t i = static_cast<size_t>(p.offset());
       i < visible.size() && items.size() < static_cast<size_t>(p.page_size); ++i) {
    items.push_back(view(c, visible[i]));
  }
  return ok(page_body(std::move(items), static_cast<int64_t>(visible.size()), p));
}

http::Response create_maas(MaasContext& mc, http::Request& req) {
  auth::Caller c = require_admin(mc.api, req);
  boost::json::value body = json::parse(req.body);
  auto m = catalog::maas_model_from_json(body);
  m = catalog::create_maas_model(mc.api.store, std::move(m), mc.box.get(),
                                 audit_event(c, "", "", ""));
  return ok(catalog::to_json(m), 201);
}

http::Response get_maas(MaasContext& mc, http::Request& req) {
  auth::Caller c = require_user(mc.api, req);
  auto m = catalog::get_maas_model(mc.api.store, req.param("id"));
  if (!c.admin() && !m.enabled) throw_not_found("MaaS model '" + m.id + "'");
  return ok(view(c, m));
}

http::Response update_maas(MaasContext& mc, http::Request& req) {
  auth::Caller c = require_admin(mc.api, req);
  boost::json::value body = json::parse(req.body);
  auto m = catalog::update_maas_model(mc.api.store, req.param("id"), body, mc.box.get(),
                                      audit_event(c, "", "", ""));
  return ok(catalog::to_json(m));
}

http::Response delete_maas(MaasContext& mc, http::Request& req) {
  auth::Caller c = require_admin(mc.api, req);
  catalog::delete_maas_model(mc.api.store, req.param("id"), audit_event(c, "", "", ""));
  return http::Response::no_content();
}

http::Response enable_maas(MaasContext& mc, http::Request& req, bool enabled) {
  auth::Caller c = require_admin(mc.api, req);
  auto m =
      catalog::set_maas_enabled(mc.api.store, req.param("id"), enabled, audit_event(c, "", "", ""));
  return ok(catalog::to_json(m));
}

}  // namespace

void register_maas_routes(http::Router& r, ApiContext& ctx) {
  // Shared by the handlers for the server's lifetime; the key is set up on first use.
  auto mc = std::make_shared<MaasContext>(ctx);
  auto bind = [mc](http::Response (*fn)(MaasContext&, http::Request&)) {
    return [mc, fn](http::Request& req) { return fn(*mc, req); };
  };
  r.add("GET", "/api/v1/maas-models", bind(list_maas), "List MaaS models");
  r.add("POST", "/api/v1/maas-models", bind(create_maas), "Create a MaaS model (admin)");
  r.add("GET", "/api/v1/maas-models/{id}", bind(get_maas), "Get a MaaS model");
  r.add("PATCH", "/api/v1/maas-models/{id}", bind(update_maas), "Update a MaaS model (admin)");
  r.add("DELETE", "/api/v1/maas-models/{id}", bind(delete_maas), "Delete a MaaS model (admin)");
  r.add(
      "POST", "/api/v1/maas-models/{id}/enable",
      [mc](http::Request& req) { return enable_maas(*mc, req, true); },
      "Enable a MaaS model (admin)");
  r.add(
      "POST", "/api/v1/maas-models/{id}/disable",
      [mc](http::Request& req) { return enable_maas(*mc, req, false); },
      "Disable a MaaS model (admin)");
}

}  // namespace hydra::api
