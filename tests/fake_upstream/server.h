#pragma once
// The fake upstream's HTTP/1.1 server (Boost.Beast, coroutines). Each
// connection keeps a read pending while it streams, so it notices a client
// that closes or half-closes mid-stream before writing the next event: the
// ledger then holds exactly what was written.
#include "options.h"

namespace fake {

// Serves until SIGINT or SIGTERM; returns the process exit code.
int serve(const Options& opts);

}  // namespace fake
