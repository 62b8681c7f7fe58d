#include "moderation/rule.h"

#include <re2/re2.h>

#include "common/error.h"
#include "common/json.h"

namespace hydra::moderation {
namespace {

constexpr size_t kMaxPattern = 1024;
constexpr size_t kMaxDescription = 512;
// RE2 compiles into at most this much memory per rule; bigger programs are refused.
constexpr int64_t kMaxProgramBytes = 1 << 20;

void check_regex(const std::string& pattern) {
  RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_max_mem(kMaxProgramBytes);
  RE2 re(pattern, opts);
  if (!re.ok())
    throw_param("'pattern' is not a valid regular expression: " + re.error(), "pattern");
}

}  // namespace

boost::json::object to_json(const ModerationRule& r) {
  return {{"id", r.id},           {"workspace_id", r.workspace_id}, {"kind", r.kind},
          {"pattern", r.pattern}, {"direction", r.direction},       {"description", r.description},
          {"enabled", r.enabled}, {"created_at", r.created_at},     {"updated_at", r.updated_at}};
}

void validate_rule(const ModerationRule& r) {
  if (r.kind != "keyword" && r.kind != "regex") {
    throw_param("'kind' must be keyword or regex", "kind");
  }
  if (r.direction != "input" && r.direction != "output" && r.direction != "both") {
    throw_param("'direction' must be input, output or both", "direction");
  }
  if (r.pattern.empty()) throw_param("'pattern' must not be empty", "pattern");
  if (r.pattern.size() > kMaxPattern) {
    throw_param("'pattern' is longer than " + std::to_string(kMaxPattern) + " bytes", "pattern");
  }
  if (r.description.size() > kMaxDescription) {
    throw_param("'description' is too long", "description");
  }
  if (r.kind == "regex") check_regex(r.pattern);
}

ModerationRule rule_from_json(const boost::json::value& body) {
  json::Fields f(body);
  ModerationRule r;
  r.kind = f.opt_str("kind").value_or("keyword");
  r.pattern = f.str("pattern");
  r.direction = f.opt_str("direction").value_or("both");
  r.workspace_id = f.opt_str("workspace_id").value_or("");
  r.description = f.opt_str("description").value_or("");
  r.enabled = f.opt_bool("enabled").value_or(true);
  f.done();
  validate_rule(r);
  return r;
}

void apply_rule_patch(ModerationRule& r, const boost::json::value& body) {
  json::Fields f(body);
  if (auto k = f.opt_str("kind"); k && *k != r.kind)
    throw_param("'kind' cannot be changed", "kind");
  if (auto w = f.opt_str("workspace_id"); w && *w != r.workspace_id) {
    throw_param("'workspace_id' cannot be changed", "workspace_id");
  }
  if (auto p = f.opt_str("pattern")) r.pattern = *p;
  if (auto d = f.opt_str("direction")) r.direction = *d;
  if (auto d = f.opt_str("description")) r.description = *d;
  if (auto e = f.opt_bool("enabled")) r.enabled = *e;
  f.done();
  validate_rule(r);
}

}  // namespace hydra::moderation
