#pragma once
// AWS Signature Version 4 (header form), as S3 and S3-compatible stores
// (MinIO, Ceph, OSS/OBS gateways) check it. Pure functions over plain
// values, so AWS's published examples can be replayed exactly.
#include <string>
#include <utility>
#include <vector>

namespace hydra::files {

struct SigV4Credentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // sent as x-amz-security-token when set
};

struct SigV4Request {
  std::string method = "GET";
  std::string path = "/";  // decoded; encoded here segment by segment
  std::vector<std::pair<std::string, std::string>> query;    // decoded names and values
  std::vector<std::pair<std::string, std::string>> headers;  // every header to sign, incl. host
  std::string payload_sha256;                                // hex, or UNSIGNED-PAYLOAD
};

struct SigV4Scope {
  std::string amz_date;  // YYYYMMDDTHHMMSSZ
  std::string region = "us-east-1";
  std::string service = "s3";
};

// AWS's URI encoding: unreserved characters kept, everything else %XX
// (upper case); '/' kept only when `keep_slash`.
std::string aws_uri_encode(std::string_view s, bool keep_slash);

std::string canonical_request(const SigV4Request& r);
std::string string_to_sign(const SigV4Request& r, const SigV4Scope& scope);
std::string signature(const SigV4Request& r, const SigV4Scope& scope,
                      const std::string& secret_key);
// The Authorization header value.
std::string authorization(const SigV4Request& r, const SigV4Scope& scope,
                          const SigV4Credentials& c);

// YYYYMMDDTHHMMSSZ for a Unix time in milliseconds.
std::string amz_date(int64_t unix_ms);

std::string sha256_hex_of(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);

}  // namespace hydra::files
