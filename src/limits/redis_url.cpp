#include "limits/redis_url.h"

#include <stdexcept>

#include "http/url.h"

namespace hydra::limits {
namespace {

int parse_number(const std::string& text, int max, const char* what) {
  if (text.empty() || text.size() > 5 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    throw std::invalid_argument(std::string("redis URL: bad ") + what + " '" + text + "'");
  }
  int v = std::stoi(text);
  if (v > max) throw std::invalid_argument(std::string("redis URL: ") + what + " out of range");
  return v;
}

}  // namespace

RedisUrl parse_redis_url(const std::string& url) {
  const std::string scheme = "redis://";
  if (url.rfind(scheme, 0) != 0) {
    throw std::invalid_argument("redis URL must start with redis:// (got '" + url + "')");
  }
  RedisUrl out;
  std::string rest = url.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos && slash + 1 < rest.size()) {
    out.db = parse_number(rest.substr(slash + 1), 1 << 20, "database number");
  }
  size_t at = authority.rfind('@');
  if (at != std::string::npos) {
    std::string cred = authority.substr(0, at);
    authority = authority.substr(at + 1);
    size_t colon = cred.find(':');
    if (colon == std::string::npos) {
      out.password = http::percent_decode(cred);
    } else {
      out.user = http::percent_decode(cred.substr(0, colon));
      out.password = http::percent_decode(cred.substr(colon + 1));
    }
  }
  size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']') == std::string::npos) {
    out.port = static_cast<uint16_t>(parse_number(authority.substr(colon + 1), 65535, "port"));
    authority = authority.substr(0, colon);
  }
  if (!authority.empty()) out.host = authority;
  return out;
}

}  // namespace hydra::limits
