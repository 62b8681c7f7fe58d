#pragma once
// One moderation rule: a keyword or a regular expression that refuses a
// request (input) or an answer (output), for every workspace or for one.
#include <boost/json.hpp>
#include <cstdint>
#include <string>

namespace hydra::moderation {

struct ModerationRule {
  std::string id;
  std::string workspace_id;      // "" for a global rule
  std::string kind = "keyword";  // keyword | regex
  std::string pattern;
  std::string direction = "both";  // input | output | both
  std::string description;
  bool enabled = true;
  int64_t created_at = 0;
  int64_t updated_at = 0;

  bool applies_to_input() const { return direction != "output"; }
  bool applies_to_output() const { return direction != "input"; }
};

boost::json::object to_json(const ModerationRule& r);
// Create body: {"kind","pattern","direction","workspace_id","description","enabled"}; strict.
ModerationRule rule_from_json(const boost::json::value& body);
// Patch body: any of pattern, direction, description, enabled (kind and
// workspace never change).
void apply_rule_patch(ModerationRule& r, const boost::json::value& body);
// 400 for an unknown kind or direction, an empty or oversized pattern, or a
// regular expression RE2 does not accept.
void validate_rule(const ModerationRule& r);

}  // namespace hydra::moderation
