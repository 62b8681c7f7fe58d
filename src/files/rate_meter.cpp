#include "files/rate_meter.h"

namespace hydra::files {

void RateMeter::sample(int64_t now_ns, int64_t total) {
  samples_.emplace_back(now_ns, total);
  // Keep one sample older than the window, so the rate spans the whole window.
  while (samples_.size() > 2 && samples_[1].first <= now_ns - window_ns_) samples_.pop_front();
}

double RateMeter::bytes_per_second() const {
  if (samples_.size() < 2) return 0;
  const auto& [t0, b0] = samples_.front();
  const auto& [t1, b1] = samples_.back();
  if (t1 <= t0 || b1 < b0) return 0;
  return static_cast<double>(b1 - b0) * 1e9 / static_cast<double>(t1 - t0);
}

}  // namespace hydra::files
