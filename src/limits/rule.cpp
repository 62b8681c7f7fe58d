#include "limits/rule.h"

#include "common/error.h"
#include "common/json.h"

namespace hydra::limits {
namespace {

constexpr size_t kMaxTargetLength = 256;
constexpr size_t kMaxDescription = 1024;

void check_target(const std::string& value, bool allowed, const char* field, Scope s) {
  if (value.size() > kMaxTargetLength) throw_param(std::string(field) + " is too long", field);
  if (!value.empty() && !allowed) {
    throw_param(
        std::string(field) + " does not apply to scope '" + std::string(scope_name(s)) + "'",
        field);
  }
}

void read_fields(LimitRule& r, json::Fields& f, bool partial) {
  if (auto v = f.opt_str("scope")) {
    auto s = parse_scope(*v);
    if (!s) throw_param("scope must be global, workspace, key, model or key+model", "scope");
    r.scope = *s;
  } else if (!partial) {
    throw_param("scope is required", "scope");
  }
  if (auto v = f.opt_str("metric")) {
    auto m = parse_metric(*v);
    if (!m) throw_param("metric must be requests, tokens, images or concurrency", "metric");
    r.metric = *m;
  } else if (!partial) {
    throw_param("metric is required", "metric");
  }
  if (auto v = f.opt_i64("limit")) {
    r.limit = *v;
  } else if (!partial) {
    throw_param("limit is required", "limit");
  }
  if (auto v = f.opt_i64("window_seconds")) r.window_seconds = *v;
  if (auto v = f.opt_str("workspace_id")) r.workspace_id = *v;
  if (auto v = f.opt_str("key_id")) r.key_id = *v;
  if (auto v = f.opt_str("model")) r.model = *v;
  if (auto v = f.opt_str("description")) r.description = *v;
  f.done();
}

}  // namespace

std::string_view scope_name(Scope s) {
  switch (s) {
    case Scope::kGlobal:
      return "global";
    case Scope::kWorkspace:
      return "workspace";
    case Scope::kKey:
      return "key";
    case Scope::kModel:
      return "model";
    case Scope::kKeyModel:
      return "key+model";
  }
  return "global";
}

std::string_view metric_name(Metric m) {
  switch (m) {
    case Metric::kRequests:
      return "requests";
    case Metric::kTokens:
      return "tokens";
    case Metric::kImages:
      return "images";
    case Metric::kConcurrency:
      return "concurrency";
  }
  return "requests";
}

std::optional<Scope> parse_scope(std::string_view s) {
  for (Scope v :
       {Scope::kGlobal, Scope::kWorkspace, Scope::kKey, Scope::kModel, Scope::kKeyModel}) {
    if (scope_name(v) == s) return v;
  }
  return std::nullopt;
}

std::optional<Metric> parse_metric(std::string_view s) {
  for (Metric v : {Metric::kRequests, Metric::kTokens, Metric::kImages, Metric::kConcurrency}) {
    if (metric_name(v) == s) return v;
  }
  return std::nullopt;
}

LimitRule rule_from_json(const boost::json::value& body) {
  json::Fields f(body);
  LimitRule r;
  read_fields(r, f, false);
  validate_rule(r);
  return r;
}

void apply_rule_patch(LimitRule& r, const boost::json::value& body) {
  json::Fields f(body);
  read_fields(r, f, true);
  validate_rule(r);
}

void validate_rule(const LimitRule& r) {
  check_target(r.workspace_id, r.scope == Scope::kWorkspace, "workspace_id", r.scope);
  check_target(r.key_id, r.scope == Scope::kKey || r.scope == Scope::kKeyModel, "key_id", r.scope);
  check_target(r.model, r.scope == Scope::kModel || r.scope == Scope::kKeyModel, "model", r.scope);
  if (r.limit < 0) throw_param("limit must not be negative", "limit");
  if (r.metric == Metric::kConcurrency) {
    if (r.window_seconds != 0) {
      throw_param("a concurrency limit has no window; leave window_seconds out", "window_seconds");
    }
  } else if (r.window_seconds < 1 || r.window_seconds > kMaxWindowSeconds) {
    throw_param("window_seconds must be between 1 and " + std::to_string(kMaxWindowSeconds),
                "window_seconds");
  }
  if (r.description.size() > kMaxDescription) {
    throw_param("description is too long", "description");
  }
}

boost::json::object to_json(const LimitRule& r) {
  return boost::json::object{{"id", r.id},
                             {"scope", scope_name(r.scope)},
                             {"metric", metric_name(r.metric)},
                             {"workspace_id", r.workspace_id},
                             {"key_id", r.key_id},
                             {"model", r.model},
                             {"limit", r.limit},
                             {"window_seconds", r.window_seconds},
                             {"description", r.description},
                             {"created_at", r.created_at},
                             {"updated_at", r.updated_at}};
}

}  // namespace hydra::limits
