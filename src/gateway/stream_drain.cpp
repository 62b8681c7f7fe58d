#include "gateway/stream_drain.h"

#include <string>
#include <vector>

#include "common/clock.h"

namespace hydra::gateway {

asio::awaitable<void> drain_aborted_stream(UpstreamExchange* ex, SseSplitter* splitter,
                                           StreamMeter* meter, int64_t deadline_ms) {
  ex->half_close();
  int64_t until = mono_ns() / 1000000 + deadline_ms;
  std::vector<std::string> events;
  while (!ex->done()) {
    int64_t left = until - mono_ns() / 1000000;
    if (left <= 0) break;
    std::string piece;
    bool ended = false;
    try {
      piece = co_await ex->read_some_within(left);
    } catch (const UpstreamError&) {
      ended = true;  // the upstream closed (or the deadline passed)
    }
    if (ended) break;
    events.clear();
    splitter->feed(piece, events);
    for (const auto& ev : events) meter->pass(ev);
  }
  ex->abort();
}

}  // namespace hydra::gateway
