#include "api/static_site.h"

#include <fstream>
#include <map>
#include <sstream>
#include <system_error>

#include "common/strings.h"

namespace fs = std::filesystem;

namespace hydra::api {
namespace {

// Refuses segments that could climb out of the root or that some systems
// read as separators, before any file system call.
bool safe_segments(const std::string& url_path) {
  if (url_path.find('\0') != std::string::npos) return false;
  if (url_path.find('\\') != std::string::npos) return false;
  for (const auto& seg : split(url_path, '/')) {
    if (seg == ".." || seg == ".") return false;
  }
  return true;
}

bool inside(const fs::path& root, const fs::path& file) {
  auto r = root.begin();
  auto f = file.begin();
  for (; r != root.end(); ++r, ++f) {
    if (f == file.end() || *r != *f) return false;
  }
  return f != file.end();
}

// A cheap validator: size and modification time change when a file does.
std::string etag_of(const fs::path& file) {
  std::error_code ec;
  auto size = fs::file_size(file, ec);
  auto mtime = fs::last_write_time(file, ec).time_since_epoch().count();
  std::ostringstream out;
  out << '"' << std::hex << size << '-' << mtime << '"';
  return out.str();
}

bool under_assets(const fs::path& root, const fs::path& file) {
  auto rel = file.lexically_relative(root);
  return !rel.empty() && *rel.begin() == "assets";
}

}  // namespace

StaticSite::StaticSite(fs::path root) : root_(std::move(root)) {
  std::error_code ec;
  auto canonical = fs::canonical(root_, ec);
  if (!ec) root_ = canonical;
}

bool StaticSite::built() const {
  std::error_code ec;
  return fs::is_regular_file(root_ / "index.html", ec);
}

std::optional<fs::path> StaticSite::resolve(const std::string& url_path) const {
  if (!safe_segments(url_path)) return std::nullopt;
  std::string rel = url_path;
  while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);
  if (rel.empty()) rel = "index.html";
  std::error_code ec;
  fs::path file = fs::canonical(root_ / fs::path(rel), ec);
  if (ec || !inside(root_, file)) return std::nullopt;
  if (!fs::is_regular_file(file, ec)) return std::nullopt;
  return file;
}

http::Response StaticSite::serve(const fs::path& file, const http::Request& req) const {
  std::string etag = etag_of(file);
  const char* cache = under_assets(root_, file) ? kImmutableCache : kRevalidateCache;
  const std::string* match = req.header("if-none-match");
  if (match && *match == etag) {
    http::Response resp;
    resp.status = 304;
    resp.set_header("ETag", etag);
    resp.set_header("Cache-Control", cache);
    return resp;
  }
  std::ifstream in(file, std::ios::binary);
  std::ostringstream body;
  body << in.rdbuf();
  auto resp = http::Response::text(200, body.str(), content_type_for(file));
  resp.set_header("Cache-Control", cache);
  resp.set_header("ETag", etag);
  resp.set_header("X-Content-Type-Options", "nosniff");
  return resp;
}

std::string content_type_for(const fs::path& file) {
  static const std::map<std::string, std::string> types = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".webmanifest", "application/manifest+json"},
  };
  auto it = types.find(file.extension().string());
  return it == types.end() ? "application/octet-stream" : it->second;
}

}  // namespace hydra::api
