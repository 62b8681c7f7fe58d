#pragma once
// Transfer rate over the last few seconds, for progress (bytes/s and ETA).
#include <cstdint>
#include <deque>
#include <utility>

namespace hydra::files {

class RateMeter {
 public:
  explicit RateMeter(int64_t window_ms = 5000) : window_ns_(window_ms * 1000000) {}
  // `total` bytes done at monotonic time `now_ns`.
  void sample(int64_t now_ns, int64_t total);
  double bytes_per_second() const;

 private:
  int64_t window_ns_;
  std::deque<std::pair<int64_t, int64_t>> samples_;
};

}  // namespace hydra::files
