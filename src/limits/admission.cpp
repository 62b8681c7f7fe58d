#include "limits/admission.h"

#include <iterator>

#include "limits/admitter.h"

namespace hydra::limits {

Admission::~Admission() {
  if (!settled_ && owner_) owner_->abandon(*this);
}

int Admission::tightest(Metric m) const {
  int best = -1;
  int64_t best_left = 0;
  for (size_t i = 0; i < n_takes_; ++i) {
    const Take& t = takes_[i];
    if (t.metric != m || !(t.granted || static_cast<int>(i) == refused_)) continue;
    int64_t left = t.limit - t.used;
    if (best < 0 || left < best_left) {
      best = static_cast<int>(i);
      best_left = left;
    }
  }
  return best;
}

void Admission::add_headers(http::Headers& h) const {
  static const struct {
    Metric metric;
    const char* limit;
    const char* remaining;
    const char* reset;
  } kKinds[] = {{Metric::kRequests, "x-ratelimit-limit-requests", "x-ratelimit-remaining-requests",
                 "x-ratelimit-reset-requests"},
                {Metric::kTokens, "x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens",
                 "x-ratelimit-reset-tokens"}};
  // Names built from literals and room made once: this runs for every
  // limited answer, and each concatenation or regrowth was an allocation.
  if (n_takes_ == 0) return;
  h.reserve(h.size() + 3 * std::size(kKinds));
  for (const auto& k : kKinds) {
    int i = tightest(k.metric);
    if (i < 0) continue;
    const Take& t = takes_[static_cast<size_t>(i)];
    h.emplace_back(k.limit, std::to_string(t.limit));
    h.emplace_back(k.remaining, std::to_string(std::max<int64_t>(0, t.limit - t.used)));
    h.emplace_back(k.reset, format_reset(t.reset_ms));
  }
}

std::string format_reset(int64_t ms) {
  if (ms < 0) ms = 0;
  if (ms < 1000) return std::to_string(ms) + "ms";
  int64_t h = ms / 3600000;
  int64_t m = ms / 60000 % 60;
  int64_t s = ms / 1000 % 60;
  int64_t frac = ms % 1000;
  std::string out;
  if (h) out += std::to_string(h) + "h";
  if (h || m) out += std::to_string(m) + "m";
  out += std::to_string(s);
  if (frac) {
    // Digits by hand: this runs for every limited response, and snprintf's
    // format parsing cost more than the rest of the headers.
    const char digits[3] = {static_cast<char>('0' + frac / 100),
                            static_cast<char>('0' + frac / 10 % 10),
                            static_cast<char>('0' + frac % 10)};
    size_t n = 3;
    while (digits[n - 1] == '0') --n;
    out += '.';
    out.append(digits, n);
  }
  return out + "s";
}

}  // namespace hydra::limits
