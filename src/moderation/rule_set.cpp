#include "moderation/rule_set.h"

#include <re2/re2.h>

namespace hydra::moderation {
namespace {

// ASCII letters only: other bytes (UTF-8 sequences of CJK text) compare as they are.
std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

RuleSet::RuleSet(const std::vector<ModerationRule>& rules) {
  for (const auto& r : rules) {
    if (!r.enabled) continue;
    Compiled c;
    c.id = r.id;
    c.workspace = r.workspace_id;
    c.input = r.applies_to_input();
    c.output = r.applies_to_output();
    if (r.kind == "regex") {
      RE2::Options opts;
      opts.set_log_errors(false);
      c.regex = std::make_unique<RE2>(r.pattern, opts);
      if (!c.regex->ok()) continue;
    } else {
      c.keyword = ascii_lower(r.pattern);
      if (c.keyword.empty()) continue;
    }
    inputs_ += c.input;
    outputs_ += c.output;
    rules_.push_back(std::move(c));
  }
}

RuleSet::RuleSet() = default;
RuleSet::~RuleSet() = default;

std::optional<std::string> RuleSet::match(std::string_view text, std::string_view workspace,
                                          bool output) const {
  std::string lowered;  // made once, only when a keyword rule applies
  bool lowered_ready = false;
  for (const auto& c : rules_) {
    if (output ? !c.output : !c.input) continue;
    if (!c.workspace.empty() && c.workspace != workspace) continue;
    if (c.regex) {
      if (RE2::PartialMatch(text, *c.regex)) return c.id;
      continue;
    }
    if (!lowered_ready) {
      lowered = ascii_lower(text);
      lowered_ready = true;
    }
    if (lowered.find(c.keyword) != std::string::npos) return c.id;
  }
  return std::nullopt;
}

std::optional<std::string> RuleSet::match_input(std::string_view text,
                                                std::string_view workspace) const {
  if (inputs_ == 0) return std::nullopt;
  return match(text, workspace, false);
}

std::optional<std::string> RuleSet::match_output(std::string_view text,
                                                 std::string_view workspace) const {
  if (outputs_ == 0) return std::nullopt;
  return match(text, workspace, true);
}

}  // namespace hydra::moderation
