// /api/v1/audit-events: who changed what, when. Administrators see every
// event; any other user sees only the events where they are the actor.
#include "api/routes.h"
#include "common/clock.h"
#include "common/error.h"

namespace hydra::api {
namespace {

// An export is one response body; past this many rows, narrow the filters.
constexpr int64_t kMaxExportRows = 100000;

// RFC 3339 text or Unix milliseconds; -1 when the parameter is absent.
int64_t time_param(const http::Request& req, const char* name) {
  auto v = req.query_param(name);
  if (!v || v->empty()) return -1;
  int64_t ms = parse_time_ms(*v);
  if (ms < 0) {
    throw_param(std::string("'") + name +
                    "' must be an RFC 3339 time (2026-01-02T03:04:05Z) or Unix milliseconds",
                name);
  }
  return ms;
}

audit::Query filters(const auth::Caller& c, const http::Request& req) {
  audit::Query q;
  q.actor = req.query_param("actor").value_or("");
  q.action = req.query_param("action").value_or("");
  q.resource_type = req.query_param("resource_type").value_or("");
  q.resource_id = req.query_param("resource_id").value_or("");
  q.workspace_id = req.query_param("workspace_id").value_or("");
  q.since_ms = time_param(req, "since");
  q.until_ms = time_param(req, "until");
  if (q.since_ms >= 0 && q.until_ms >= 0 && q.since_ms > q.until_ms) {
    throw_param("'since' must not be after 'until'", "since");
  }
  // By id, not name: a name can be reused after its user is deleted.
  if (!c.admin()) q.actor_id = c.user_id;
  return q;
}

boost::json::object event_json(const audit::Event& e) {
  return {{"id", e.id},
          {"time", e.time},
          {"actor_id", e.actor_id},
          {"actor_name", e.actor_name},
          {"workspace_id", e.workspace_id},
          {"action", e.action},
          {"resource_type", e.resource_type},
          {"resource_id", e.resource_id},
          {"result", e.result},
          {"detail", e.detail},
          {"source_ip", e.source_ip},
          {"request_id", e.request_id}};
}

http::Response list_events(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_user(ctx, req);
  PageParams p = page_params(req);
  audit::Query q = filters(c, req);
  q.offset = p.offset();
  q.limit = p.page_size;
  auto page = audit::query(ctx.store, q);
  boost::json::array items;
  for (const auto& e : page.items) items.push_back(event_json(e));
  return ok(page_body(std::move(items), page.total, p));
}

http::Response export_events(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_user(ctx, req);
  audit::Query q = filters(c, req);
  q.offset = 0;
  q.limit = kMaxExportRows;
  auto page = audit::query(ctx.store, q);
  auto resp = http::Response::text(200, audit::to_csv(page.items), "text/csv; charset=utf-8");
  resp.set_header("Content-Disposition", "attachment; filename=\"audit-events.csv\"");
  resp.set_header("Cache-Control", "no-store");
  // The total says whether the cap cut the export short.
  resp.set_header("X-Total-Count", std::to_string(page.total));
  return resp;
}

}  // namespace

void register_audit_routes(http::Router& r, ApiContext& ctx) {
  r.add(
      "GET", "/api/v1/audit-events", [&ctx](http::Request& req) { return list_events(ctx, req); },
      "List audit events, newest first (admins: all; users: their own)");
  r.add(
      "GET", "/api/v1/audit-events/export",
      [&ctx](http::Request& req) { return export_events(ctx, req); },
      "Export audit events as CSV (same filters, at most 100000 rows)");
}

}  // namespace hydra::api
