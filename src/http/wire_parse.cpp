#include "http/wire_parse.h"

#include <array>
#include <charconv>

#include "common/strings.h"

namespace hydra::http {
namespace {

// Extension and trailer bytes one chunked body may carry: they are read and
// dropped, and without a bound a peer could keep a reader busy forever.
constexpr uint64_t kMaxChunkOverhead = 64 << 10;

// RFC 9110 token characters (field names, methods, transfer codings), each
// mapped to its lower case; 0 for every other byte. One lookup both checks
// and lowers a field name.
constexpr auto kTokenLower = [] {
  std::array<char, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<char>(c);
  for (int c = 'a'; c <= 'z'; ++c) t[c] = static_cast<char>(c);
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = static_cast<char>(c - 'A' + 'a');
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = c;
  return t;
}();

// The name lower-cased, or false when it is not a token.
bool lower_token(std::string_view name, std::string& out) {
  if (name.empty()) return false;
  out.resize(name.size());
  for (size_t i = 0; i < name.size(); ++i) {
    char c = kTokenLower[static_cast<unsigned char>(name[i])];
    if (c == 0) return false;
    out[i] = c;
  }
  return true;
}

}  // namespace

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (kTokenLower[static_cast<unsigned char>(c)] == 0) return false;
  }
  return true;
}

namespace {

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Field values may hold visible characters, blanks and obs-text; no
// controls (a CR or LF here would be a line break another parser splits on).
bool valid_value(std::string_view v) {
  for (char c : v) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

// Calls `fn(token)` for each comma-separated token of a list value.
template <class Fn>
void for_each_token(std::string_view list, Fn fn) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    fn(trim_blanks(list.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

bool parse_version(std::string_view v, unsigned& version) {
  if (v == "HTTP/1.1") {
    version = 11;
  } else if (v == "HTTP/1.0") {
    version = 10;
  } else {
    return false;
  }
  return true;
}

// What the fields say about the connection and the body.
struct FieldFacts {
  bool has_length = false;
  uint64_t length = 0;
  bool has_transfer_encoding = false;
  bool chunked_last = false;  // the last transfer coding is chunked
  bool close = false;
  bool keep_alive = false;
  bool expect_continue = false;

  // HTTP/1.1 stays open unless told to close; 1.0 closes unless told not to.
  bool keeps_alive(unsigned version) const { return !close && (version == 11 || keep_alive); }
};

bool note_field(std::string_view name, std::string_view value, FieldFacts& f, std::string& why) {
  if (name == "content-length") {
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
      why = "bad Content-Length";
      return false;
    }
    if (f.has_length && f.length != n) {
      why = "conflicting Content-Length fields";
      return false;
    }
    f.has_length = true;
    f.length = n;
  } else if (name == "transfer-encoding") {
    f.has_transfer_encoding = true;
    for_each_token(value, [&](std::string_view t) {
      if (!t.empty()) f.chunked_last = iequals(t, "chunked");
    });
  } else if (name == "connection") {
    for_each_token(value, [&](std::string_view t) {
      if (iequals(t, "close")) f.close = true;
      if (iequals(t, "keep-alive")) f.keep_alive = true;
    });
  } else if (name == "expect") {
    f.expect_continue = iequals(trim_blanks(value), "100-continue");
  }
  return true;
}

// Parses the field lines of a head (after its first line, up to and
// including the blank line).
bool parse_fields(std::string_view rest, Headers& headers, FieldFacts& facts, std::string& why) {
  headers.reserve(12);  // one allocation for a usual head, not one per doubling
  for (;;) {
    size_t eol = rest.find("\r\n");
    if (eol == std::string_view::npos) {
      why = "unterminated header line";
      return false;
    }
    std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol + 2);
    if (line.empty()) return true;
    // A bare LF inside the line is caught below: it is neither a token
    // character of the name nor allowed in the value.
    size_t colon = line.find(':');
    std::string lower_name;
    if (colon == std::string_view::npos || !lower_token(line.substr(0, colon), lower_name)) {
      why = "bad header field";
      return false;
    }
    std::string_view value = trim_blanks(line.substr(colon + 1));
    if (!valid_value(value)) {
      why = "bad header value";
      return false;
    }
    if (!note_field(lower_name, value, facts, why)) return false;
    headers.emplace_back(std::move(lower_name), std::string(value));
  }
}

// The first line of a head, without its CRLF.
bool first_line(std::string_view head, std::string_view& line, std::string_view& rest,
                std::string& why) {
  size_t eol = head.find("\r\n");
  if (eol == std::string_view::npos || head.substr(0, eol).find('\n') != std::string_view::npos) {
    why = "bad start line";
    return false;
  }
  line = head.substr(0, eol);
  rest = head.substr(eol + 2);
  return true;
}

}  // namespace

size_t head_size(std::string_view bytes, size_t scanned) {
  size_t from = scanned > 3 ? scanned - 3 : 0;
  size_t at = bytes.find("\r\n\r\n", from);
  return at == std::string_view::npos ? 0 : at + 4;
}

bool parse_request_head(std::string_view head, RequestHead& out, std::string& why) {
  std::string_view line, rest;
  if (!first_line(head, line, rest, why)) return false;
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) {
    why = "bad request line";
    return false;
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (!is_token(method)) {
    why = "bad method";
    return false;
  }
  if (target.empty() || !valid_value(target) || target.find_first_of(" \t") != target.npos) {
    why = "bad target";
    return false;
  }
  if (!parse_version(line.substr(sp2 + 1), out.version)) {
    why = "bad version";
    return false;
  }
  FieldFacts f;
  if (!parse_fields(rest, out.headers, f, why)) return false;
  out.method = std::string(method);
  out.target = std::string(target);
  out.keep_alive = f.keeps_alive(out.version);
  out.expect_continue = f.expect_continue && out.version == 11;
  if (f.has_transfer_encoding) {
    // A request whose length two parsers could read differently is refused.
    if (f.has_length || out.version == 10 || !f.chunked_last) {
      why = "bad Transfer-Encoding";
      return false;
    }
    out.body.kind = BodyFraming::Kind::kChunked;
  } else if (f.has_length && f.length > 0) {
    out.body.kind = BodyFraming::Kind::kLength;
    out.body.length = f.length;
  }
  return true;
}

bool parse_response_head(std::string_view head, ResponseHead& out, std::string& why) {
  std::string_view line, rest;
  if (!first_line(head, line, rest, why)) return false;
  // "HTTP/1.1 200 OK"; the reason may be empty, with or without its space.
  if (line.size() < 12 || !parse_version(line.substr(0, 8), out.version) || line[8] != ' ' ||
      (line.size() > 12 && line[12] != ' ')) {
    why = "bad status line";
    return false;
  }
  int status = 0;
  auto [end, ec] = std::from_chars(line.data() + 9, line.data() + 12, status);
  if (ec != std::errc() || end != line.data() + 12 || status < 100) {
    why = "bad status code";
    return false;
  }
  out.status = status;
  FieldFacts f;
  if (!parse_fields(rest, out.headers, f, why)) return false;
  out.keep_alive = f.keeps_alive(out.version);
  if (status < 200 || status == 204 || status == 304) {
    out.body.kind = BodyFraming::Kind::kNone;
  } else if (f.has_transfer_encoding) {
    if (f.has_length) {
      why = "Transfer-Encoding beside Content-Length";
      return false;
    }
    out.body.kind = f.chunked_last ? BodyFraming::Kind::kChunked : BodyFraming::Kind::kUntilClose;
  } else if (f.has_length) {
    out.body.kind = f.length > 0 ? BodyFraming::Kind::kLength : BodyFraming::Kind::kNone;
    out.body.length = f.length;
  } else {
    out.body.kind = BodyFraming::Kind::kUntilClose;
  }
  if (out.body.kind == BodyFraming::Kind::kUntilClose) out.keep_alive = false;
  return true;
}

size_t ChunkedDecoder::feed(std::string_view in, std::string& out) {
  size_t i = 0;
  while (i < in.size() && state_ != State::kDone && state_ != State::kFailed) {
    if (state_ == State::kData) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(left_, in.size() - i));
      out.append(in.data() + i, n);
      i += n;
      left_ -= n;
      if (left_ == 0) state_ = State::kDataCr;
      continue;
    }
    if (!step(in[i])) break;
    ++i;
  }
  return i;
}

bool ChunkedDecoder::expect(char c, char want, State next) {
  if (c != want) return fail();
  state_ = next;
  return true;
}

// A byte of an extension or trailer line, dropped; CR ends the line.
bool ChunkedDecoder::skip(char c, State at_cr) {
  if (++overhead_ > kMaxChunkOverhead || c == '\n') return fail();
  if (c == '\r') state_ = at_cr;
  return true;
}

bool ChunkedDecoder::step(char c) {
  switch (state_) {
    case State::kSize: {
      int digit = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
      if (digit >= 0) {
        if (++digits_ > 15) return fail();  // beyond any body we accept
        left_ = left_ * 16 + static_cast<uint64_t>(digit);
        return true;
      }
      if (digits_ == 0) return fail();
      if (c == '\r') {
        state_ = State::kSizeLf;
      } else if (c == ';' || c == ' ' || c == '\t') {
        state_ = State::kExtension;
      } else {
        return fail();
      }
      return true;
    }
    case State::kExtension:
      return skip(c, State::kSizeLf);
    case State::kSizeLf:
      digits_ = 0;
      return expect(c, '\n', left_ > 0 ? State::kData : State::kTrailer);
    case State::kDataCr:
      return expect(c, '\r', State::kDataLf);
    case State::kDataLf:
      return expect(c, '\n', State::kSize);
    case State::kTrailer:
      if (c == '\r') {
        state_ = State::kFinalLf;
      } else if (c == '\n' || c == ' ' || c == '\t') {
        return fail();
      } else {
        state_ = State::kTrailerLine;
      }
      return true;
    case State::kTrailerLine:
      return skip(c, State::kTrailerLf);
    case State::kTrailerLf:
      return expect(c, '\n', State::kTrailer);
    case State::kFinalLf:
      return expect(c, '\n', State::kDone);
    case State::kData:
    case State::kDone:
    case State::kFailed:
      break;
  }
  return fail();
}

}  // namespace hydra::http
