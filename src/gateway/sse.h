#pragma once
// Server-sent events as they cross the gateway. Upstream bytes arrive in
// arbitrary TCP-sized pieces; the splitter hands out whole events (each
// ending with its blank line) so the gateway can inspect and forward them
// one by one without buffering more than one partial event.
#include <string>
#include <string_view>
#include <vector>

namespace hydra::gateway {

class SseSplitter {
 public:
  // Appends `data`; every event completed by it is added to `out` with its
  // terminating blank line ("\n\n" or "\r\n\r\n").
  void feed(std::string_view data, std::vector<std::string>& out);
  // Bytes of an event not yet complete.
  const std::string& pending() const { return pending_; }

 private:
  std::string pending_;
  size_t scanned_ = 0;  // bytes of pending_ known to hold no event end
};

// The event's data: the `data:` lines joined by "\n" (one leading space of
// each value removed, as the SSE format says).
std::string sse_data(std::string_view event);

}  // namespace hydra::gateway
