#pragma once
// Heads of HTTP/1.x messages written straight into one string: the status
// or request line, the headers and the blank line. The hot paths (answers
// to clients, requests to upstreams) send a head and a body as two buffers
// of one write, without Beast's serializer walking its field containers
// for every buffer it yields.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.h"

namespace hydra::http {

// An answer's head. `content_length` is the body's size, or nullopt for a
// chunked body. Headers repeat the way Beast's set() keeps them: the last
// of several with one name (any case) wins; Content-Length,
// Transfer-Encoding, Connection and X-Request-Id are the writer's own.
// A field whose name is not a token is left out, and CR and LF inside
// values become spaces, so nothing can start another field.
std::string response_head(unsigned version, int status, const Headers& headers,
                          std::string_view request_id, bool keep_alive,
                          std::optional<size_t> content_length);

// A keep-alive HTTP/1.1 request's head with a body of `content_length` bytes.
std::string request_head(std::string_view method, std::string_view target, std::string_view host,
                         const Headers& headers, size_t content_length);

}  // namespace hydra::http
