#pragma once
// HTTP/1.x messages read from the wire: heads (request and status lines,
// header fields) and the framing of bodies, chunked ones decoded piece by
// piece. The counterpart of wire_head.h for reading; the server and the
// gateway's upstream client parse every message with it, straight from
// their read buffers, without Beast's parser building a field container per
// message.
//
// Strict where leniency lets two parsers disagree on where a message ends
// (RFC 9112 §6.3, §11.2): a bare LF, a folded line, a space before a colon,
// a Content-Length that is not one number, or a Transfer-Encoding beside a
// Content-Length is refused.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/message.h"

namespace hydra::http {

// Where a message's body ends.
struct BodyFraming {
  enum class Kind { kNone, kLength, kChunked, kUntilClose };
  Kind kind = Kind::kNone;
  uint64_t length = 0;  // kLength only
};

struct RequestHead {
  std::string method;
  std::string target;
  unsigned version = 11;  // 10 or 11
  Headers headers;        // names lower-case, values without surrounding blanks
  bool keep_alive = true;
  bool expect_continue = false;  // "Expect: 100-continue"
  BodyFraming body;
};

struct ResponseHead {
  int status = 0;
  unsigned version = 11;
  Headers headers;  // names lower-case
  bool keep_alive = true;
  BodyFraming body;
};

// The size of the head at the start of `bytes`, its blank line included, or
// 0 while the blank line has not arrived. `scanned` is how many bytes an
// earlier call already searched (the search resumes just before them).
size_t head_size(std::string_view bytes, size_t scanned = 0);

// Parse a whole head (as measured by head_size). On failure they return
// false and say why in `why`.
bool parse_request_head(std::string_view head, RequestHead& out, std::string& why);
bool parse_response_head(std::string_view head, ResponseHead& out, std::string& why);

// An RFC 9110 token: what field names, methods and codings are made of.
bool is_token(std::string_view s);

// Decodes a chunked body (RFC 9112 §7.1) from pieces of any size. Chunk
// extensions and trailer fields are skipped, within a bound on how many
// bytes of them one body may carry.
class ChunkedDecoder {
 public:
  // Consumes bytes from `in`, appending the data they carry to `out`.
  // Returns the number of bytes used: all of `in` unless the body ended
  // (done()) or was malformed (failed()) inside it.
  size_t feed(std::string_view in, std::string& out);
  bool done() const { return state_ == State::kDone; }
  bool failed() const { return state_ == State::kFailed; }

 private:
  enum class State {
    kSize,         // hex digits of a chunk's size
    kExtension,    // after the size, up to CR
    kSizeLf,       // LF after the size line
    kData,         // `left_` bytes of data
    kDataCr,       // CR after the data
    kDataLf,       // LF after the data
    kTrailer,      // a trailer line (or the final blank line) begins
    kTrailerLine,  // inside a trailer field, up to CR
    kTrailerLf,    // LF ending a trailer field
    kFinalLf,      // LF ending the body
    kDone,
    kFailed,
  };
  bool fail() {
    state_ = State::kFailed;
    return false;
  }
  bool step(char c);                           // one byte outside chunk data
  bool expect(char c, char want, State next);  // `want`, then `next`
  bool skip(char c, State at_cr);              // extension or trailer byte

  State state_ = State::kSize;
  uint64_t left_ = 0;
  int digits_ = 0;
  uint64_t overhead_ = 0;  // extension and trailer bytes so far
};

}  // namespace hydra::http
