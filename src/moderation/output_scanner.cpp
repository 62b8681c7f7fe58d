#include "moderation/output_scanner.h"

namespace hydra::moderation {

std::optional<std::string> OutputScanner::feed(std::string_view piece) {
  if (!active() || piece.empty()) return std::nullopt;
  window_.append(piece);
  auto hit = rules_->match_output(window_, workspace_);
  if (window_.size() > kWindow) window_.erase(0, window_.size() - kWindow);
  return hit;
}

}  // namespace hydra::moderation
