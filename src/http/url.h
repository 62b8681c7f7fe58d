#pragma once
#include <map>
#include <string>
#include <string_view>

namespace hydra::http {

// Decodes %XX escapes (and '+' as space when `plus_space`); invalid escapes are kept as is.
std::string percent_decode(std::string_view s, bool plus_space = false);
std::string percent_encode(std::string_view s);
// Splits "a=1&b=two" into decoded pairs; a repeated key keeps the last value.
std::map<std::string, std::string> parse_query(std::string_view q);

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;
  uint16_t port = 0;
  std::string target;  // path and query, at least "/"
};
// Throws std::invalid_argument for anything but absolute http(s) URLs.
Url parse_url(const std::string& url);

}  // namespace hydra::http
