#pragma once
// The enabled moderation rules compiled for matching. Immutable once built,
// so the gateway shares one set between threads without locks.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "moderation/rule.h"

namespace re2 {
class RE2;
}

namespace hydra::moderation {

class RuleSet {
 public:
  RuleSet();
  // Disabled rules are left out; a pattern that no longer compiles (it
  // passed validation when stored) is skipped rather than failing all.
  explicit RuleSet(const std::vector<ModerationRule>& rules);
  ~RuleSet();
  RuleSet(const RuleSet&) = delete;
  RuleSet& operator=(const RuleSet&) = delete;

  // The id of the first rule for this workspace (or global) that `text`
  // breaks, looking only at rules for that direction.
  std::optional<std::string> match_input(std::string_view text, std::string_view workspace) const;
  std::optional<std::string> match_output(std::string_view text, std::string_view workspace) const;

  bool has_input_rules() const { return inputs_ > 0; }
  bool has_output_rules() const { return outputs_ > 0; }
  size_t size() const { return rules_.size(); }

 private:
  struct Compiled {
    std::string id;
    std::string workspace;  // "" for global
    bool input = false;
    bool output = false;
    std::string keyword;  // lower-cased ASCII; empty for a regex rule
    std::unique_ptr<re2::RE2> regex;
  };

  std::optional<std::string> match(std::string_view text, std::string_view workspace,
                                   bool output) const;

  std::vector<Compiled> rules_;
  size_t inputs_ = 0;
  size_t outputs_ = 0;
};

}  // namespace hydra::moderation
