#pragma once
// The end of a stream whose client went away. The gateway stops
// forwarding, shuts down its sending side so the upstream sees the
// disconnect and stops generating, and keeps reading what the upstream had
// already sent until the upstream ends the answer or closes the connection
// (bounded by a short deadline). Every event read is metered, so the
// record counts exactly what the upstream generated before it stopped.
#include <boost/asio/awaitable.hpp>
#include <cstdint>

#include "gateway/sse.h"
#include "gateway/stream_meter.h"
#include "gateway/upstream_client.h"

namespace hydra::gateway {

inline constexpr int64_t kAbortDrainMs = 2000;

// Pointers, not references: coroutine parameters are kept by value.
asio::awaitable<void> drain_aborted_stream(UpstreamExchange* ex, SseSplitter* splitter,
                                           StreamMeter* meter, int64_t deadline_ms);

}  // namespace hydra::gateway
