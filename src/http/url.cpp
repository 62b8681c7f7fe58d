#include "http/url.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <stdexcept>

namespace hydra::http {
namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string percent_decode(std::string_view s, bool plus_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_space && c == '+' ? ' ' : c);
  }
  return out;
}

std::string percent_encode(std::string_view s) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 15]);
    }
  }
  return out;
}

std::map<std::string, std::string> parse_query(std::string_view q) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start <= q.size()) {
    size_t amp = q.find('&', start);
    std::string_view part = q.substr(start, amp == std::string_view::npos ? q.npos : amp - start);
    if (!part.empty()) {
      size_t eq = part.find('=');
      std::string key = percent_decode(part.substr(0, eq), true);
      std::string val =
          eq == std::string_view::npos ? "" : percent_decode(part.substr(eq + 1), true);
      out[key] = val;
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  return out;
}

Url parse_url(const std::string& text) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) throw std::invalid_argument("invalid URL: " + text);
  boost::urls::url_view u = *parsed;
  Url url;
  url.scheme = u.scheme();
  if (url.scheme != "http" && url.scheme != "https") {
    throw std::invalid_argument("URL must be http or https: " + text);
  }
  url.host = u.host_address();
  if (url.host.empty()) throw std::invalid_argument("URL has no host: " + text);
  url.port = u.has_port() ? u.port_number() : (url.scheme == "https" ? 443 : 80);
  if (u.has_port() && url.port == 0) throw std::invalid_argument("invalid port in URL: " + text);
  url.target = std::string(u.encoded_path());
  if (url.target.empty()) url.target = "/";
  if (u.has_query()) url.target += "?" + std::string(u.encoded_query());
  return url;
}

}  // namespace hydra::http
