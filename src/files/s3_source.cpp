// S3 and S3-compatible stores, path-style: ListObjectsV2 pages, then one
// GetObject per key, each request signed with Signature V4 at send time.
#include "common/clock.h"
#include "common/strings.h"
#include "files/sigv4.h"
#include "files/source_plan.h"
#include "http/url.h"

namespace hydra::files {
namespace {

constexpr const char* kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr int kMaxListPages = 1000;

struct S3Target {
  std::string endpoint;  // scheme://host[:port], no trailing slash
  std::string host_header;
  std::string bucket;
  std::string prefix;
  std::string region;
  SigV4Credentials creds;
};

S3Target target_of(const FileSet& f, const SourceEnv& env) {
  S3Target t;
  std::string rest = f.uri.substr(5);  // after s3://
  size_t slash = rest.find('/');
  t.bucket = rest.substr(0, slash);
  t.prefix = slash == std::string::npos ? "" : rest.substr(slash + 1);
  auto opt = [&](const char* k) {
    auto it = f.options.find(k);
    return it == f.options.end() ? std::string() : it->second;
  };
  t.region = opt("region").empty() ? env.aws_region : opt("region");
  t.endpoint =
      opt("endpoint").empty() ? "https://s3." + t.region + ".amazonaws.com" : opt("endpoint");
  while (!t.endpoint.empty() && t.endpoint.back() == '/') t.endpoint.pop_back();
  http::Url u = http::parse_url(t.endpoint);
  bool default_port = u.port == (u.scheme == "https" ? 443 : 80);
  t.host_header = default_port ? u.host : u.host + ":" + std::to_string(u.port);
  if (!f.secret.empty()) {
    size_t colon = f.secret.find(':');
    t.creds.access_key = f.secret.substr(0, colon);
    t.creds.secret_key = colon == std::string::npos ? "" : f.secret.substr(colon + 1);
  } else {
    t.creds = {env.aws_access_key, env.aws_secret_key, env.aws_session_token};
  }
  return t;
}

// Headers for one GET; unsigned (anonymous) when no access key is known.
http::Headers sign_get(const S3Target& t, const std::string& path,
                       const std::vector<std::pair<std::string, std::string>>& query) {
  if (t.creds.access_key.empty()) return {};
  SigV4Request r;
  r.path = path;
  r.query = query;
  r.payload_sha256 = kEmptySha256;
  std::string date = amz_date(now_ms());
  r.headers = {
      {"host", t.host_header}, {"x-amz-content-sha256", kEmptySha256}, {"x-amz-date", date}};
  if (!t.creds.session_token.empty())
    r.headers.emplace_back("x-amz-security-token", t.creds.session_token);
  SigV4Scope scope{date, t.region, "s3"};
  http::Headers out;
  for (const auto& [k, v] : r.headers) {
    if (k != "host") out.emplace_back(k, v);
  }
  out.emplace_back("authorization", authorization(r, scope, t.creds));
  return out;
}

std::string query_text(const std::vector<std::pair<std::string, std::string>>& q) {
  std::string out;
  for (const auto& [k, v] : q) {
    out += out.empty() ? "?" : "&";
    out += aws_uri_encode(k, false) + "=" + aws_uri_encode(v, false);
  }
  return out;
}

}  // namespace

Plan plan_s3(const FileSet& f, const SourceEnv& env, const FetchOptions& opts) {
  S3Target t = target_of(f, env);
  std::string bucket_path = "/" + t.bucket;
  std::vector<ListedFile> listed;
  std::string token;
  for (int page = 0;; ++page) {
    if (page >= kMaxListPages) throw SourceError("S3 listing has too many pages");
    std::vector<std::pair<std::string, std::string>> q = {{"list-type", "2"}, {"prefix", t.prefix}};
    if (!token.empty()) q.emplace_back("continuation-token", token);
    std::string url = t.endpoint + aws_uri_encode(bucket_path, true) + query_text(q);
    S3ListingPage p =
        parse_s3_listing(fetch_text(url, sign_get(t, bucket_path, q), opts), t.prefix);
    for (auto& l : p.files) listed.push_back(std::move(l));
    if (listed.size() > kMaxListedFiles) throw SourceError("S3 listing names too many files");
    if (!p.truncated) break;
    token = p.next_token;
  }
  if (listed.empty())
    throw SourceError("S3 has no objects under s3://" + t.bucket + "/" + t.prefix);
  Plan plan;
  for (auto& l : select_files(std::move(listed), f)) {
    RemoteFile r;
    std::string object_path = bucket_path + "/" + l.key;
    r.url = t.endpoint + aws_uri_encode(object_path, true);
    r.path = std::move(l.path);
    r.size = l.size;
    r.headers = [t, object_path] { return sign_get(t, object_path, {}); };
    plan.files.push_back(std::move(r));
  }
  return plan;
}

}  // namespace hydra::files
