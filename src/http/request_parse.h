#pragma once
// Parses one HTTP/1.1 request from bytes with the server's limits, into the
// same Request value the server hands to handlers. Used by the fuzz target
// and tests; the server itself reads from sockets with the same parser
// settings and conversion.
#include <cstdint>
#include <string>
#include <string_view>

#include "http/message.h"

namespace hydra::http {

struct ParseResult {
  bool complete = false;  // a whole request was parsed
  int error_status = 0;   // 400, 413 or 431 when the bytes were refused
  std::string error;
  Request request;
};

ParseResult parse_request(std::string_view bytes, int64_t max_header_bytes, int64_t max_body_bytes,
                          const std::string& remote_addr = "");

}  // namespace hydra::http
