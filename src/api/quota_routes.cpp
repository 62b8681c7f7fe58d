// /api/v1/quotas: token and cost budgets (administrators), and what each
// quota has consumed in its current period. Gateways pick changes up within
// their poll interval; consumption is written back by the gateways.
#include "api/routes.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/json.h"
#include "limits/quota_store.h"

namespace hydra::api {
namespace {

http::Response list_quotas(ApiContext& ctx, http::Request& req) {
  require_admin(ctx, req);
  PageParams p = page_params(req);
  auto quotas = limits::list_quotas(ctx.store);
  boost::json::array items;
  for (size_t i = static_cast<size_t>(p.offset());
       i < quotas.size() && items.size() < static_cast<size_t>(p.page_size); ++i) {
    items.push_back(limits::to_json(quotas[i]));
  }
  return ok(page_body(std::move(items), static_cast<int64_t>(quotas.size()), p));
}

limits::Quota load(store::Session& s, const std::string& id) {
  auto q = limits::find_quota(s, id);
  if (!q) throw_not_found("quota '" + id + "'");
  return *q;
}

http::Response create_quota(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_admin(ctx, req);
  boost::json::value body = json::parse(req.body);
  limits::Quota q = limits::quota_from_json(body);
  ctx.store.transact([&](store::Session& s) {
    q = limits::insert_quota(s, q);
    auto ev = audit_event(c, "CreateQuota", "quota", q.id);
    ev.detail = json::dump(limits::to_json(q));
    audit::record(s, std::move(ev));
  });
  return ok(limits::to_json(q), 201);
}

http::Response get_quota(ApiContext& ctx, http::Request& req) {
  require_admin(ctx, req);
  limits::Quota q;
  ctx.store.transact([&](store::Session& s) { q = load(s, req.param("id")); });
  return ok(limits::to_json(q));
}

http::Response update_quota(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_admin(ctx, req);
  boost::json::value body = json::parse(req.body);
  limits::Quota q;
  ctx.store.transact([&](store::Session& s) {
    q = load(s, req.param("id"));
    limits::apply_quota_patch(q, body);
    limits::update_quota(s, q);
    auto ev = audit_event(c, "UpdateQuota", "quota", q.id);
    ev.detail = json::dump(limits::to_json(q));
    audit::record(s, std::move(ev));
  });
  return ok(limits::to_json(q));
}

http::Response delete_quota(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_admin(ctx, req);
  ctx.store.transact([&](store::Session& s) {
    if (!limits::delete_quota(s, req.param("id")))
      throw_not_found("quota '" + req.param("id") + "'");
    audit::record(s, audit_event(c, "DeleteQuota", "quota", req.param("id")));
  });
  return http::Response::no_content();
}

// Consumption per subject in the current period, as the gateways last wrote it.
http::Response quota_usage(ApiContext& ctx, http::Request& req) {
  require_admin(ctx, req);
  limits::Quota q;
  ctx.store.transact([&](store::Session& s) { q = load(s, req.param("id")); });
  int64_t start = limits::period_start(q.period, now_ms());
  PageParams p = page_params(req);
  auto rows = limits::quota_usage_of(ctx.store, q.id, start);
  boost::json::array items;
  for (size_t i = static_cast<size_t>(p.offset());
       i < rows.size() && items.size() < static_cast<size_t>(p.page_size); ++i) {
    const auto& u = rows[i];
    std::string subject = u.subject;
    std::string model;
    if (auto sep = subject.find('\x1f'); sep != std::string::npos) {
      model = subject.substr(sep + 1);
      subject.resize(sep);
    }
    double used = q.metric == limits::QuotaMetric::kCost ? u.cost : static_cast<double>(u.tokens);
    items.push_back(boost::json::object{{"subject", subject},
                                        {"model", model},
                                        {"period_start", u.period_start},
                                        {"tokens", u.tokens},
                                        {"cost", u.cost},
                                        {"remaining", std::max(0.0, q.budget - used)}});
  }
  return ok(page_body(std::move(items), static_cast<int64_t>(rows.size()), p));
}

}  // namespace

void register_quota_routes(http::Router& r, ApiContext& ctx) {
  auto bind = [&ctx](http::Response (*fn)(ApiContext&, http::Request&)) {
    return [&ctx, fn](http::Request& req) { return fn(ctx, req); };
  };
  r.add("GET", "/api/v1/quotas", bind(list_quotas), "List quotas (admin)");
  r.add("POST", "/api/v1/quotas", bind(create_quota), "Create a quota (admin)");
  r.add("GET", "/api/v1/quotas/{id}", bind(get_quota), "Get a quota (admin)");
  r.add("PATCH", "/api/v1/quotas/{id}", bind(update_quota), "Update a quota (admin)");
  r.add("DELETE", "/api/v1/quotas/{id}", bind(delete_quota), "Delete a quota (admin)");
  r.add("GET", "/api/v1/quotas/{id}/usage", bind(quota_usage),
        "Consumption of a quota in its current period (admin)");
}

}  // namespace hydra::api
