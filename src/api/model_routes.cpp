// /api/v1/models: the model catalog. Administrators see and manage every
// model; everyone else sees only published ones (an unpublished model looks
// missing to them).
#include <algorithm>

#include "api/cached_read.h"
#include "api/routes.h"
#include "catalog/change_log.h"
#include "catalog/import_source.h"
#include "catalog/model_import.h"
#include "catalog/model_store.h"
#include "catalog/names.h"
#include "common/error.h"
#include "common/json.h"
#include "common/strings.h"

namespace hydra::api {
namespace {

std::optional<bool> bool_query(const http::Request& req, const char* name) {
  auto v = req.query_param(name);
  if (!v) return std::nullopt;
  std::string s = to_lower(trim(*v));
  if (s == "true" || s == "1" || s == "yes") return true;
  if (s == "false" || s == "0" || s == "no") return false;
  throw_param(std::string("'") + name + "' must be true or false", name);
}

// "a,b , c" -> {"a", "b", "c"}; repeated commas and blanks ignored.
std::vector<std::string> list_query(const http::Request& req, const char* name) {
  std::vector<std::string> out;
  for (const auto& part : split(req.query_param(name).value_or(""), ',')) {
    std::string t = trim(part);
    if (!t.empty()) out.push_back(t);
  }
  return out;
}

// Everything a model list answer depends on: the visibility rule and the query.
std::string model_list_key(const auth::Caller& c, const http::Request& req) {
  return (c.admin() ? "admin " : "user ") + req.target;
}

std::optional<http::Response> cached_model_list(ApiContext& ctx, const http::Request& req) {
  auto c = cached_user(ctx, req);
  if (!c) return std::nullopt;
  auto body = ctx.answers->find(model_list_key(*c, req), catalog::catalog_version());
  if (!body) return std::nullopt;
  return http::Response::text(200, std::move(*body), "application/json");
}

http::Response list_models(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_user(ctx, req);
  PageParams p = page_params(req);
  catalog::ModelFilter f;
  f.providers = list_query(req, "provider");
  for (const auto& t : list_query(req, "tag")) f.tags.push_back(catalog::normalize_tag(t));
  f.keyword = trim(req.query_param("keyword").value_or(req.query_param("q").value_or("")));
  f.published = c.admin() ? bool_query(req, "published") : std::optional<bool>(true);
  f.offset = p.offset();
  f.limit = p.page_size;
  std::string key = model_list_key(c, req);
  uint64_t version = catalog::catalog_version();  // read before the queries
  if (auto body = ctx.answers->find(key, version)) {
    return http::Response::text(200, std::move(*body), "application/json");
  }
  auto page = catalog::list_models(ctx.store, f);
  boost::json::array items;
  for (const auto& m : page.items) items.push_back(catalog::to_json(m));
  http::Response resp = ok(page_body(std::move(items), page.total, p));
  ctx.answers->put(key, version, resp.body);
  return resp;
}

http::Response create_model(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_admin(ctx, req);
  boost::json::value body = json::parse(req.body);
  auto m =
      catalog::create_model(ctx.store, catalog::model_from_json(body), audit_event(c, "", "", ""));
  return ok(catalog::to_json(m), 201);
}

http::Response get_model(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_user(ctx, req);
  auto m = catalog::get_model(ctx.store, req.param("id"));
  if (!c.admin() && !m.published) throw_not_found("model '" + m.id + "'");
  return ok(catalog::to_json(m));
}

http::Response update_model(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_admin(ctx, req);
  boost::json::value body = json::parse(req.body);
  auto m = catalog::update_model(ctx.store, req.param("id"), body, audit_event(c, "", "", ""));
  return ok(catalog::to_json(m));
}

http::Response delete_model(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_admin(ctx, req);
  catalog::delete_model(ctx.store, req.param("id"), audit_event(c, "", "", ""));
  return http::Response::no_content();
}

http::Response publish(ApiContext& ctx, http::Request& req, bool published) {
  auth::Caller c = require_admin(ctx, req);
  auto m =
      catalog::set_published(ctx.store, req.param("id"), published, audit_event(c, "", "", ""));
  return ok(catalog::to_json(m));
}

// Body: YAML text, a multipart upload (field `file`), or JSON {"url"} / {"yaml"}.
http::Response import_models(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_admin(ctx, req);
  catalog::ImportOptions opts;
  opts.dry_run = bool_query(req, "dry_run").value_or(false);
  opts.publish = bool_query(req, "publish").value_or(false);
  const std::string* type = req.header("content-type");
  std::string text = catalog::import_text(type ? *type : "", req.body);
  auto items = catalog::parse_modelhub(text);
  // ?ids=a,b imports only those models of the file (the console's preview selection).
  if (auto ids = req.query_param("ids"); ids && !ids->empty()) {
    auto wanted = split(*ids, ',');
    std::erase_if(items, [&](const catalog::ImportItem& it) {
      return std::find(wanted.begin(), wanted.end(), it.id) == wanted.end();
    });
  }
  auto results = catalog::import_models(ctx.store, items, opts, audit_event(c, "", "", ""));
  return ok(catalog::to_json(results, opts.dry_run));
}

}  // namespace

void register_model_routes(http::Router& r, ApiContext& ctx) {
  auto bind = [&ctx](http::Response (*fn)(ApiContext&, http::Request&)) {
    return [&ctx, fn](http::Request& req) { return fn(ctx, req); };
  };
  add_cached_read(
      r, ctx, "/api/v1/models", cached_model_list, list_models,
      "List models (?provider=a,b&tag=X,Y&keyword=&published=); non-admins see published ones");
  r.add("POST", "/api/v1/models", bind(create_model), "Create a model (admin)");
  r.add("POST", "/api/v1/models/import", bind(import_models),
        "Import ModelHub YAML: body, multipart file, or JSON {url}|{yaml}; ?dry_run=&publish= "
        "(admin)");
  r.add("GET", "/api/v1/models/{id}", bind(get_model), "Get a model");
  r.add("PATCH", "/api/v1/models/{id}", bind(update_model), "Update a model (admin)");
  r.add("DELETE", "/api/v1/models/{id}", bind(delete_model),
        "Delete a model and its templates (admin)");
  r.add(
      "POST", "/api/v1/models/{id}/publish",
      [&ctx](http::Request& req) { return publish(ctx, req, true); }, "Publish a model (admin)");
  r.add(
      "POST", "/api/v1/models/{id}/unpublish",
      [&ctx](http::Request& req) { return publish(ctx, req, false); }, "Unpublish a model (admin)");
}

}  // namespace hydra::api
