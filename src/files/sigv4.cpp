#include "files/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <ctime>

#include "common/random.h"
#include "common/strings.h"

namespace hydra::files {
namespace {

// Header values are trimmed and inner runs of spaces collapse to one.
std::string canonical_value(std::string_view v) {
  std::string t = trim(v);
  std::string out;
  bool space = false;
  for (char c : t) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> sorted_headers(const SigV4Request& r) {
  std::vector<std::pair<std::string, std::string>> h;
  for (const auto& [k, v] : r.headers) h.emplace_back(to_lower(k), canonical_value(v));
  std::sort(h.begin(), h.end());
  return h;
}

std::string signed_header_names(const SigV4Request& r) {
  std::string out;
  for (const auto& [k, v] : sorted_headers(r)) {
    if (!out.empty()) out += ';';
    out += k;
  }
  return out;
}

std::string credential_scope(const SigV4Scope& s) {
  return s.amz_date.substr(0, 8) + "/" + s.region + "/" + s.service + "/aws4_request";
}

}  // namespace

std::string aws_uri_encode(std::string_view s, bool keep_slash) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string canonical_request(const SigV4Request& r) {
  std::vector<std::pair<std::string, std::string>> q;
  for (const auto& [k, v] : r.query)
    q.emplace_back(aws_uri_encode(k, false), aws_uri_encode(v, false));
  std::sort(q.begin(), q.end());
  std::string query;
  for (const auto& [k, v] : q) {
    if (!query.empty()) query += '&';
    query += k + "=" + v;
  }
  std::string headers;
  for (const auto& [k, v] : sorted_headers(r)) headers += k + ":" + v + "\n";
  return r.method + "\n" + aws_uri_encode(r.path.empty() ? "/" : r.path, true) + "\n" + query +
         "\n" + headers + "\n" + signed_header_names(r) + "\n" + r.payload_sha256;
}

std::string string_to_sign(const SigV4Request& r, const SigV4Scope& scope) {
  return "AWS4-HMAC-SHA256\n" + scope.amz_date + "\n" + credential_scope(scope) + "\n" +
         sha256_hex_of(canonical_request(r));
}

std::string signature(const SigV4Request& r, const SigV4Scope& scope,
                      const std::string& secret_key) {
  std::string k = hmac_sha256("AWS4" + secret_key, scope.amz_date.substr(0, 8));
  k = hmac_sha256(k, scope.region);
  k = hmac_sha256(k, scope.service);
  k = hmac_sha256(k, "aws4_request");
  return hex_encode(hmac_sha256(k, string_to_sign(r, scope)));
}

std::string authorization(const SigV4Request& r, const SigV4Scope& scope,
                          const SigV4Credentials& c) {
  return "AWS4-HMAC-SHA256 Credential=" + c.access_key + "/" + credential_scope(scope) +
         ",SignedHeaders=" + signed_header_names(r) +
         ",Signature=" + signature(r, scope, c.secret_key);
}

std::string amz_date(int64_t unix_ms) {
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string sha256_hex_of(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr);
  return hex_encode(std::string_view(reinterpret_cast<const char*>(md), n));
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &n);
  return std::string(reinterpret_cast<const char*>(md), n);
}

}  // namespace hydra::files
