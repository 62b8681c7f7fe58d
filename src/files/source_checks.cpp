// Create-time checks of a file set request, and the dispatch from a
// source type to its planner.
#include <filesystem>

#include "common/error.h"
#include "common/strings.h"
#include "files/source_plan.h"
#include "http/url.h"

namespace hydra::files {
namespace {

bool repo_segment(std::string_view s) {
  if (s.empty() || s.size() > 96 || s == "." || s == "..") return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
      return false;
  }
  return true;
}

void check_repo(const std::string& uri, bool owner_required) {
  auto parts = split(uri, '/');
  bool ok = (parts.size() == 2 || (!owner_required && parts.size() == 1));
  for (const auto& p : parts) ok = ok && repo_segment(p);
  if (!ok) {
    throw_param("uri must name a repository as owner/name (letters, digits, '-', '_', '.'), got '" +
                    utf8_sanitize(uri.substr(0, 200)) + "'",
                "uri");
  }
}

void check_url(const std::string& url, const char* field) {
  try {
    http::parse_url(url);
  } catch (const std::exception&) {
    throw_param(std::string(field) + " must be an absolute http(s) URL", field);
  }
}

void check_bucket(const std::string& uri) {
  if (!starts_with(uri, "s3://")) throw_param("uri must look like s3://bucket/prefix", "uri");
  std::string bucket = uri.substr(
      5, uri.find('/', 5) == std::string::npos ? std::string::npos : uri.find('/', 5) - 5);
  bool ok = bucket.size() >= 3 && bucket.size() <= 63;
  for (char c : bucket)
    ok = ok && (std::islower(static_cast<unsigned char>(c)) ||
                std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.');
  if (!ok) throw_param("S3 bucket names are 3-63 characters of a-z, 0-9, '-' and '.'", "uri");
}

void check_git(const std::string& uri) {
  bool ok = starts_with(uri, "https://") || starts_with(uri, "http://") ||
            starts_with(uri, "ssh://") || starts_with(uri, "git@") ||
            (starts_with(uri, "/") && uri.find("..") == std::string::npos);
  for (unsigned char c : uri) ok = ok && c > 0x20 && c != 0x7f;
  if (!ok)
    throw_param("uri must be an http(s), ssh or git@ repository URL, or an absolute path", "uri");
}

}  // namespace

void check_file_set_request(const FileSet& f) {
  check_source(f.source);
  if (f.uri.empty() || f.uri.size() > 2048) throw_param("uri must be 1-2048 characters", "uri");
  for (const auto& [k, v] : f.options) {
    if (k != "revision" && k != "endpoint" && k != "region" && k != "sha256" && k != "file" &&
        k != "files") {
      throw_param(
          "unknown option '" + k + "' (known: revision, endpoint, region, sha256, file, files)",
          "options");
    }
    if (v.size() > 4096) throw_param("option '" + k + "' is too long", "options");
  }
  if (auto it = f.options.find("endpoint"); it != f.options.end())
    check_url(it->second, "options.endpoint");
  if (auto it = f.options.find("sha256"); it != f.options.end() && !is_sha256_hex(it->second)) {
    throw_param("options.sha256 must be 64 hex digits", "options");
  }
  if (auto it = f.options.find("revision"); it != f.options.end()) {
    if (it->second.empty() || it->second[0] == '-' || it->second.find("..") != std::string::npos ||
        it->second.find_first_of(" \t\n\r\\") != std::string::npos) {
      throw_param("options.revision is not a valid revision", "options");
    }
  }
  if (auto it = f.options.find("file"); it != f.options.end() && !safe_relative_path(it->second)) {
    throw_param("options.file must be a relative path inside the set", "options");
  }
  const std::string& s = f.source;
  if (s == source::kHuggingFace) check_repo(f.uri, false);
  if (s == source::kModelScope) check_repo(f.uri, true);
  if (s == source::kHttp) check_url(f.uri, "uri");
  if (s == source::kS3) check_bucket(f.uri);
  if (s == source::kGit) check_git(f.uri);
  if (s == source::kLocal && !std::filesystem::path(f.uri).is_absolute()) {
    throw_param("uri must be an absolute path for LOCAL", "uri");
  }
}

Plan plan_source(const FileSet& f, const SourceEnv& env, const FetchOptions& opts) {
  if (f.source == source::kHuggingFace) return plan_hugging_face(f, env, opts);
  if (f.source == source::kModelScope) return plan_modelscope(f, env, opts);
  if (f.source == source::kHttp) return plan_http(f);
  if (f.source == source::kS3) return plan_s3(f, env, opts);
  Plan plan;
  if (f.source == source::kGit) {
    plan.git_url = f.uri;
    auto it = f.options.find("revision");
    if (it != f.options.end()) plan.git_revision = it->second;
    return plan;
  }
  if (f.source == source::kLocal) {
    plan.in_place_path = f.uri;
    return plan;
  }
  throw SourceError("source " + f.source + " is not downloaded");
}

}  // namespace hydra::files
