#pragma once
// Parses one HTTP/1.1 request from bytes with the server's limits, into the
// same Request value the server hands to handlers. Used by the fuzz target
// and tests; the server itself reads from sockets with the same head parser
// (wire_parse.h) and conversion (request_from_head).
#include <cstdint>
#include <string>
#include <string_view>

#include "http/message.h"
#include "http/wire_parse.h"

namespace hydra::http {

struct ParseResult {
  bool complete = false;  // a whole request was parsed
  int error_status = 0;   // 400, 413 or 431 when the bytes were refused
  std::string error;
  Request request;
};

// The handlers' Request from a parsed head and its body.
Request request_from_head(RequestHead&& head, std::string body, const std::string& remote);

ParseResult parse_request(std::string_view bytes, int64_t max_header_bytes, int64_t max_body_bytes,
                          const std::string& remote_addr = "");

}  // namespace hydra::http
