// Fuzzes the HTTP/1.x reading the server and the gateway's upstream client
// share (http/wire_parse.h): request and response heads, and chunked bodies.
// The request path with the server's limits is fuzz_http_request's; this
// target adds responses and checks the chunked decoder against itself: fed
// the same bytes in pieces of any size, it must decode the same data, stop
// at the same byte and agree on done or failed. A disagreement aborts.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/wire_parse.h"

namespace {

struct Decoded {
  std::string data;
  size_t used = 0;
  bool done = false;
  bool failed = false;
};

Decoded decode(std::string_view wire, size_t piece) {
  Decoded d;
  hydra::http::ChunkedDecoder decoder;
  for (size_t at = 0; at < wire.size(); at += piece) {
    std::string_view part = wire.substr(at, piece);
    size_t n = decoder.feed(part, d.data);
    d.used += n;
    if (n < part.size() || decoder.done() || decoder.failed()) break;
  }
  d.done = decoder.done();
  d.failed = decoder.failed();
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t piece = 1 + data[0] % 16;
  std::string_view wire(reinterpret_cast<const char*>(data) + 1, size - 1);

  if (size_t n = hydra::http::head_size(wire)) {
    hydra::http::RequestHead request;
    hydra::http::ResponseHead response;
    std::string why;
    if (hydra::http::parse_request_head(wire.substr(0, n), request, why) &&
        request.method.empty()) {
      abort();
    }
    if (hydra::http::parse_response_head(wire.substr(0, n), response, why) &&
        (response.status < 100 || response.status > 999)) {
      abort();
    }
  }

  Decoded whole = decode(wire, wire.size() + 1);
  Decoded pieces = decode(wire, piece);
  if (whole.data != pieces.data || whole.used != pieces.used || whole.done != pieces.done ||
      whole.failed != pieces.failed) {
    abort();
  }
  return 0;
}
