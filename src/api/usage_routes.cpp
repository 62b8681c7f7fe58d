// /api/v1/usage: metered requests, their totals and aggregates, failures by
// error code, and CSV exports. Administrators see every workspace (and may
// filter by one); any other user sees only the workspace they act in.
#include <boost/json.hpp>

#include "api/routes.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/strings.h"
#include "metering/usage_csv.h"
#include "metering/usage_query.h"

namespace hydra::api {
namespace {

namespace bj = boost::json;
using metering::GroupBy;
using metering::Totals;
using metering::UsageFilter;

// An export is one response body; past this many rows, narrow the filters.
constexpr int64_t kMaxExportRows = 100000;

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

UsageFilter filter_of(const auth::Caller& c, const http::Request& req) {
  UsageFilter f;
  f.key_id = req.query_param("key_id").value_or("");
  f.model = req.query_param("model").value_or("");
  f.status = req.query_param("status").value_or("");
  f.from_ms = time_param(req, "from");
  f.to_ms = time_param(req, "to");
  std::string ws = req.query_param("workspace_id").value_or("");
  if (c.admin()) {
    f.workspace_id = ws;
  } else {
    if (!ws.empty() && ws != c.workspace_id) {
      throw ApiError(ErrorCode::kForbidden, "you may only read the usage of your workspace",
                     "workspace_id");
    }
    f.workspace_id = c.workspace_id;
  }
  return metering::normalized(f);
}

// ?group_by=hour,model: one time granularity and/or key, model.
GroupBy group_of(const http::Request& req) {
  GroupBy g;
  for (const auto& part : split(req.query_param("group_by").value_or(""), ',')) {
    std::string p = trim(part);
    if (p.empty()) continue;
    if (p == "key") {
      g.key = true;
    } else if (p == "model") {
      g.model = true;
    } else if (auto t = metering::parse_granularity(p); t && !g.time) {
      g.time = t;
    } else {
      throw_param("'group_by' takes minute, hour or day (one of them), key and model", "group_by");
    }
  }
  return g;
}

bj::object totals_json(const Totals& t) {
  return {{"calls", t.calls},
          {"failures", t.failures},
          {"aborted", t.aborted},
          {"prompt_tokens", t.prompt_tokens},
          {"completion_tokens", t.completion_tokens},
          {"cached_tokens", t.cached_tokens},
          {"total_tokens", t.prompt_tokens + t.completion_tokens},
          {"cost", t.cost}};
}

bj::object record_json(const metering::UsageRecord& r) {
  return {{"id", r.id},
          {"time", r.time},
          {"request_id", r.request_id},
          {"workspace_id", r.workspace_id},
          {"user_id", r.user_id},
          {"key_id", r.key_id},
          {"model", r.model},
          {"upstream", r.upstream},
          {"stream", r.stream},
          {"status", r.status},
          {"error_code", r.error_code},
          {"prompt_tokens", r.prompt_tokens},
          {"completion_tokens", r.completion_tokens},
          {"cached_tokens", r.cached_tokens},
          {"cost", r.cost},
          {"latency_ms", r.latency_ms},
          {"ttft_ms", r.ttft_ms}};
}

bj::array groups_json(const std::vector<metering::UsageGroup>& groups, const GroupBy& by) {
  bj::array out;
  for (const auto& g : groups) {
    bj::object o = totals_json(g.totals);
    if (by.time) o["bucket"] = g.bucket;
    if (by.key) o["key_id"] = g.key_id;
    if (by.model) o["model"] = g.model;
    out.push_back(std::move(o));
  }
  return out;
}

http::Response csv_answer(std::string body, const char* name, int64_t total) {
  auto resp = http::Response::text(200, std::move(body), "text/csv; charset=utf-8");
  resp.set_header("Content-Disposition", std::string("attachment; filename=\"") + name + "\"");
  resp.set_header("Cache-Control", "no-store");
  resp.set_header("X-Total-Count", std::to_string(total));  // says whether the cap cut it short
  return resp;
}

http::Response export_usage(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_user(ctx, req);
  UsageFilter f = filter_of(c, req);
  GroupBy by = group_of(req);
  if (by.any()) {
    auto groups = metering::usage_groups(ctx.store, f, by, kMaxExportRows);
    auto total = static_cast<int64_t>(groups.size());
    return csv_answer(metering::groups_csv(groups, by), "usage-groups.csv", total);
  }
  auto page = metering::usage_records(ctx.store, f, 0, kMaxExportRows);
  return csv_answer(metering::records_csv(page.items), "usage.csv", page.total);
}

http::Response query_usage(ApiContext& ctx, http::Request& req) {
  if (req.query_param("format").value_or("json") == "csv") return export_usage(ctx, req);
  auth::Caller c = require_user(ctx, req);
  if (auto fmt = req.query_param("format"); fmt && *fmt != "json") {
    throw_param("'format' must be json or csv", "format");
  }
  PageParams p = page_params(req);
  UsageFilter f = filter_of(c, req);
  GroupBy by = group_of(req);
  auto page = metering::usage_records(ctx.store, f, p.offset(), p.page_size);
  bj::array items;
  for (const auto& r : page.items) items.push_back(record_json(r));
  bj::object body = page_body(std::move(items), page.total, p);
  body["totals"] = totals_json(metering::usage_totals(ctx.store, f));
  bj::array failures;
  for (const auto& x : metering::usage_failures(ctx.store, f)) {
    failures.push_back(bj::object{{"status", x.status},
                                  {"error_code", x.error_code},
                                  {"count", x.count},
                                  {"last_time", x.last_time}});
  }
  body["failures"] = std::move(failures);
  if (by.any()) body["groups"] = groups_json(metering::usage_groups(ctx.store, f, by), by);
  return ok(body);
}

}  // namespace

void register_usage_routes(http::Router& r, ApiContext& ctx) {
  r.add(
      "GET", "/api/v1/usage", [&ctx](http::Request& req) { return query_usage(ctx, req); },
      "Usage records, totals, failures by code and optional groups (admins: all; users: their "
      "workspace)");
  r.add(
      "GET", "/api/v1/usage/export", [&ctx](http::Request& req) { return export_usage(ctx, req); },
      "Export usage records (or groups, with group_by) as CSV, at most 100000 rows");
}

}  // namespace hydra::api
