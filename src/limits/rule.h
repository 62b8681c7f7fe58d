#pragma once
// Rate-limit rules (DESIGN.md §3 RateLimitRule): who is counted (scope and
// its target), what is counted (metric), how much (limit) and over which
// window. An empty target means "each one separately": a key rule with no
// key_id gives every key its own counter of the same size.
#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hydra::limits {

enum class Scope { kGlobal, kWorkspace, kKey, kModel, kKeyModel };
enum class Metric { kRequests, kTokens, kImages, kConcurrency };

std::string_view scope_name(Scope s);
std::string_view metric_name(Metric m);
std::optional<Scope> parse_scope(std::string_view s);
std::optional<Metric> parse_metric(std::string_view s);

inline constexpr int64_t kMaxWindowSeconds = 31LL * 24 * 3600;

struct LimitRule {
  std::string id;
  Scope scope = Scope::kKey;
  Metric metric = Metric::kRequests;
  std::string workspace_id;  // workspace scope: "" for each workspace
  std::string key_id;        // key and key+model scopes: "" for each key
  std::string model;         // model and key+model scopes: "" for each model
  int64_t limit = 0;
  int64_t window_seconds = 0;  // 0 for concurrency
  std::string description;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// Strict decoding (unknown fields are PARAM_ERROR), then validate_rule.
LimitRule rule_from_json(const boost::json::value& body);
void apply_rule_patch(LimitRule& r, const boost::json::value& body);
// Targets that do not belong to the scope, a negative limit, a window out
// of range (or one on a concurrency rule) are PARAM_ERROR.
void validate_rule(const LimitRule& r);
boost::json::object to_json(const LimitRule& r);

}  // namespace hydra::limits
