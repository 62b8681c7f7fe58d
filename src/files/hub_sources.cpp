// Hugging Face and ModelScope: a JSON listing, then one URL per file.
#include <cstdlib>

#include "common/strings.h"
#include "files/listing.h"
#include "files/source_plan.h"
#include "http/url.h"

namespace hydra::files {
namespace {

std::string option(const FileSet& f, const std::string& key, const std::string& fallback) {
  auto it = f.options.find(key);
  return it == f.options.end() || it->second.empty() ? fallback : it->second;
}

std::string without_trailing_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

// Each segment escaped, the slashes kept.
std::string encode_path(const std::string& path) {
  std::string out;
  for (const auto& seg : split(path, '/')) {
    if (!out.empty()) out += '/';
    out += http::percent_encode(seg);
  }
  return out;
}

http::Headers bearer(const std::string& token) {
  if (token.empty()) return {};
  return {{"authorization", "Bearer " + token}};
}

}  // namespace

std::vector<ListedFile> select_files(std::vector<ListedFile> listed, const FileSet& f) {
  auto it = f.options.find("files");
  if (it == f.options.end() || trim(it->second).empty()) return listed;
  std::vector<ListedFile> out;
  for (const auto& name : split(it->second, ',')) {
    std::string want = trim(name);
    if (want.empty()) continue;
    bool found = false;
    for (const auto& l : listed) {
      if (l.path == want) {
        out.push_back(l);
        found = true;
      }
    }
    if (!found) throw SourceError("the listing has no file '" + want + "'");
  }
  return out;
}

Plan plan_hugging_face(const FileSet& f, const SourceEnv& env, const FetchOptions& opts) {
  std::string endpoint = without_trailing_slash(option(f, "endpoint", env.hf_endpoint));
  std::string revision = option(f, "revision", "main");
  std::string token = f.secret.empty() ? env.hf_token : f.secret;
  std::string listing_url = endpoint + "/api/models/" + f.uri + "/revision/" +
                            http::percent_encode(revision) + "?blobs=true";
  std::string text = fetch_text(listing_url, bearer(token), opts);
  Plan plan;
  for (auto& l : select_files(parse_hf_listing(text), f)) {
    RemoteFile r;
    r.url = endpoint + "/" + f.uri + "/resolve/" + http::percent_encode(revision) + "/" +
            encode_path(l.path);
    r.path = std::move(l.path);
    r.size = l.size;
    r.sha256 = std::move(l.sha256);
    r.etag_is_sha256 = true;
    r.headers = [token] { return bearer(token); };
    plan.files.push_back(std::move(r));
  }
  return plan;
}

Plan plan_modelscope(const FileSet& f, const SourceEnv& env, const FetchOptions& opts) {
  std::string endpoint = without_trailing_slash(option(f, "endpoint", env.modelscope_endpoint));
  std::string revision = option(f, "revision", "master");
  std::string token = f.secret;
  std::string base = endpoint + "/api/v1/models/" + f.uri + "/repo";
  std::string text =
      fetch_text(base + "/files?Revision=" + http::percent_encode(revision) + "&Recursive=true",
                 bearer(token), opts);
  Plan plan;
  for (auto& l : select_files(parse_modelscope_listing(text), f)) {
    RemoteFile r;
    r.url = base + "?Revision=" + http::percent_encode(revision) +
            "&FilePath=" + http::percent_encode(l.path);
    r.path = std::move(l.path);
    r.size = l.size;
    r.sha256 = std::move(l.sha256);
    r.headers = [token] { return bearer(token); };
    plan.files.push_back(std::move(r));
  }
  return plan;
}

Plan plan_http(const FileSet& f) {
  http::Url u = http::parse_url(f.uri);
  std::string path = u.target.substr(0, u.target.find('?'));
  std::string name = http::percent_decode(path.substr(path.rfind('/') + 1));
  name = option(f, "file", name.empty() ? "model" : name);
  if (!safe_relative_path(name))
    throw SourceError("cannot name a file '" + name + "' after the URL");
  RemoteFile r;
  r.path = name;
  r.url = f.uri;
  r.sha256 = to_lower(option(f, "sha256", ""));
  std::string token = f.secret;
  r.headers = [token] { return bearer(token); };
  Plan plan;
  plan.files.push_back(std::move(r));
  return plan;
}

SourceEnv SourceEnv::from_environment() {
  auto env = [](const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return std::string(v && *v ? v : fallback);
  };
  SourceEnv e;
  e.hf_endpoint = env("HF_ENDPOINT", "https://huggingface.co");
  e.hf_token = env("HF_TOKEN", "");
  e.modelscope_endpoint = env("MODELSCOPE_ENDPOINT", "https://www.modelscope.cn");
  e.aws_access_key = env("AWS_ACCESS_KEY_ID", "");
  e.aws_secret_key = env("AWS_SECRET_ACCESS_KEY", "");
  e.aws_session_token = env("AWS_SESSION_TOKEN", "");
  e.aws_region = env("AWS_REGION", "us-east-1");
  return e;
}

}  // namespace hydra::files
