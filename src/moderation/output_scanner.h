#pragma once
// Output moderation for a streamed answer, fed piece by piece. Each piece is
// checked together with the last kWindow bytes before it, so a keyword split
// across chunks is still found without rescanning the whole answer.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "moderation/rule_set.h"

namespace hydra::moderation {

class OutputScanner {
 public:
  static constexpr size_t kWindow = 256;

  OutputScanner(std::shared_ptr<const RuleSet> rules, std::string workspace)
      : rules_(std::move(rules)), workspace_(std::move(workspace)) {}

  // False when no output rule applies: the caller can skip extracting text.
  bool active() const { return rules_ && rules_->has_output_rules(); }
  // The id of the rule the answer so far breaks, if any.
  std::optional<std::string> feed(std::string_view piece);

 private:
  std::shared_ptr<const RuleSet> rules_;
  std::string workspace_;
  std::string window_;
};

}  // namespace hydra::moderation
