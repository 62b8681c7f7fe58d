// Fuzzes what the gateway reads from an upstream's event stream: arbitrary
// bytes, cut into arbitrary pieces, go through the SSE splitter and the
// stream meter (usage capture and the rewriting of content events). A
// rewritten event must still be one whole event; nothing may crash.
//
// The two translation units are built into the target itself: the gateway
// library also holds coroutine code that clang 14 cannot instrument.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "../../src/gateway/sse.cpp"
#include "../../src/gateway/stream_meter.cpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  hydra::gateway::StreamAsk ask{(data[0] & 1) != 0, (data[0] & 2) != 0};
  size_t piece = 1 + (data[0] >> 2);  // 1..64 bytes per read
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  hydra::gateway::SseSplitter splitter;
  hydra::gateway::StreamMeter meter(ask);
  std::vector<std::string> events;
  for (size_t at = 0; at < bytes.size(); at += piece) {
    events.clear();
    splitter.feed(bytes.substr(at, piece), events);
    for (const auto& ev : events) {
      std::string out = meter.pass(ev);
      bool whole = out.empty() || out == ev ||
                   (out.rfind("data: ", 0) == 0 && out.size() >= 8 &&
                    out.compare(out.size() - 2, 2, "\n\n") == 0);
      if (!whole) __builtin_trap();
    }
  }
  (void)meter.completion_tokens();
  return 0;
}
