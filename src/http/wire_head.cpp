#include "http/wire_head.h"

#include <boost/beast/http/status.hpp>
#include <charconv>
#include <cstring>

#include "http/wire_parse.h"

namespace hydra::http {
namespace {

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Fields an answer's writer sets itself.
bool answer_owned(std::string_view name) {
  return same_name(name, "content-length") || same_name(name, "transfer-encoding") ||
         same_name(name, "connection") || same_name(name, "x-request-id");
}

// Fields a request's writer sets itself (a keep-alive request with a length).
bool request_owned(std::string_view name) {
  return same_name(name, "content-length") || same_name(name, "transfer-encoding") ||
         same_name(name, "connection") || same_name(name, "host");
}

// A line break in the text becomes a space. The check is two vectorized
// scans; the text is copied as it is in the common case of no break.
void append_clean(std::string& out, std::string_view text) {
  size_t from = out.size();
  out += text;
  if (!std::memchr(text.data(), '\r', text.size()) &&
      !std::memchr(text.data(), '\n', text.size())) {
    return;
  }
  for (size_t i = from; i < out.size(); ++i) {
    if (out[i] == '\r' || out[i] == '\n') out[i] = ' ';
  }
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  if (!is_token(name)) return;  // anything else cannot be a field name
  out += name;
  out += ": ";
  append_clean(out, value);
  out += "\r\n";
}

void append_number(std::string& out, size_t n) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, res.ptr);
}

void append_headers(std::string& out, const Headers& headers, bool (*owned)(std::string_view)) {
  for (size_t i = 0; i < headers.size(); ++i) {
    const auto& [name, value] = headers[i];
    if (owned(name)) continue;
    bool replaced = false;
    for (size_t j = i + 1; j < headers.size() && !replaced; ++j) {
      replaced = same_name(headers[j].first, name);
    }
    if (!replaced) append_field(out, name, value);
  }
}

size_t headers_size(const Headers& headers) {
  size_t n = 0;
  for (const auto& [k, v] : headers) n += k.size() + v.size() + 4;
  return n;
}

}  // namespace

std::string response_head(unsigned version, int status, const Headers& headers,
                          std::string_view request_id, bool keep_alive,
                          std::optional<size_t> content_length) {
  std::string out;
  out.reserve(128 + headers_size(headers) + request_id.size());
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  append_number(out, static_cast<size_t>(status));
  out += ' ';
  out += boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
  out += "\r\n";
  append_headers(out, headers, answer_owned);
  if (!request_id.empty()) append_field(out, "X-Request-Id", request_id);
  if (version == 10 && keep_alive) out += "Connection: keep-alive\r\n";
  if (version != 10 && !keep_alive) out += "Connection: close\r\n";
  if (content_length) {
    out += "Content-Length: ";
    append_number(out, *content_length);
    out += "\r\n";
  } else {
    out += "Transfer-Encoding: chunked\r\n";
  }
  out += "\r\n";
  return out;
}

std::string request_head(std::string_view method, std::string_view target, std::string_view host,
                         const Headers& headers, size_t content_length) {
  std::string out;
  out.reserve(96 + target.size() + host.size() + headers_size(headers));
  append_clean(out, method);
  out += ' ';
  append_clean(out, target);
  out += " HTTP/1.1\r\n";
  append_field(out, "Host", host);
  append_headers(out, headers, request_owned);
  out += "Content-Length: ";
  append_number(out, content_length);
  out += "\r\n\r\n";
  return out;
}

}  // namespace hydra::http
