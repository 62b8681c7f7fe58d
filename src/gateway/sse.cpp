#include "gateway/sse.h"

namespace hydra::gateway {

void SseSplitter::feed(std::string_view data, std::vector<std::string>& out) {
  pending_.append(data);
  size_t start = 0;
  // Resume two bytes early: an event end may straddle two pieces.
  size_t i = scanned_ > 1 ? scanned_ - 2 : 0;
  for (; i < pending_.size(); ++i) {
    if (pending_[i] != '\n') continue;
    size_t end = 0;
    if (i + 1 < pending_.size() && pending_[i + 1] == '\n') {
      end = i + 2;
    } else if (i + 2 < pending_.size() && pending_[i + 1] == '\r' && pending_[i + 2] == '\n') {
      end = i + 3;
    }
    if (end == 0) continue;
    out.emplace_back(pending_, start, end - start);
    start = end;
    i = end - 1;
  }
  pending_.erase(0, start);
  scanned_ = pending_.size();
}

std::string sse_data(std::string_view event) {
  std::string out;
  bool first = true;
  while (!event.empty()) {
    size_t nl = event.find('\n');
    std::string_view line = event.substr(0, nl);
    event = nl == std::string_view::npos ? std::string_view() : event.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.substr(0, 5) != "data:") continue;
    line.remove_prefix(5);
    if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (!first) out += '\n';
    out.append(line);
    first = false;
  }
  return out;
}

}  // namespace hydra::gateway
