#pragma once
#include <cstdint>
#include <string>

namespace hydra {

// Milliseconds since the Unix epoch (wall clock, for stored timestamps).
int64_t now_ms();
// Monotonic nanoseconds, for durations.
int64_t mono_ns();
// The monotonic clock as the kernel last counted it: read without the time
// source, about a fifth of mono_ns()'s cost on a virtual machine, and some
// milliseconds behind it (a tick, or more after the machine was idle). For
// ages of tens of seconds stamped several times per request, never for
// deadlines that must not come early.
int64_t coarse_mono_ns();
// RFC 3339 UTC text, e.g. 2026-01-02T03:04:05.678Z.
std::string format_time_ms(int64_t ms);
// Accepts RFC 3339 text or integer milliseconds; returns -1 when unparseable.
int64_t parse_time_ms(const std::string& text);

}  // namespace hydra
