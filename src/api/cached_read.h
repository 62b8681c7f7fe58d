#pragma once
// Read routes that can answer from memory. The server runs plain handlers on
// its worker pool, which costs two thread hand-offs per request; for a
// listing the console asks for over and over, that hand-off costs more than
// the answer. A cached read first tries `cached` on the network thread (it
// must not block: caches only, no store) and runs `handler` on the worker
// pool only when that gives nothing.
#include <optional>
#include <string>

#include "api/context.h"

namespace hydra::api {

using CachedAnswer = std::optional<http::Response> (*)(ApiContext&, const http::Request&);
using BlockingAnswer = http::Response (*)(ApiContext&, http::Request&);

void add_cached_read(http::Router& r, ApiContext& ctx, std::string pattern, CachedAnswer cached,
                     BlockingAnswer handler, std::string summary);

}  // namespace hydra::api
