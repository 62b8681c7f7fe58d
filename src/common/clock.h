#pragma once
#include <cstdint>
#include <string>

namespace hydra {

// Milliseconds since the Unix epoch (wall clock, for stored timestamps).
int64_t now_ms();
// Monotonic nanoseconds, for durations.
int64_t mono_ns();
// RFC 3339 UTC text, e.g. 2026-01-02T03:04:05.678Z.
std::string format_time_ms(int64_t ms);
// Accepts RFC 3339 text or integer milliseconds; returns -1 when unparseable.
int64_t parse_time_ms(const std::string& text);

}  // namespace hydra
