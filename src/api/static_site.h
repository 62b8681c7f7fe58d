#pragma once
// Files of a built single-page web app (index.html + hashed assets/) served
// from one directory. Only regular files strictly inside the directory are
// ever read: request paths with "..", "." or backslash segments are refused
// before touching the file system, and the resolved path (symlinks followed)
// must still lie under the directory.
#include <filesystem>
#include <optional>
#include <string>

#include "http/message.h"

namespace hydra::api {

// The response header values of the two cache policies.
inline constexpr const char* kImmutableCache = "public, max-age=31536000, immutable";
inline constexpr const char* kRevalidateCache = "no-cache";

class StaticSite {
 public:
  explicit StaticSite(std::filesystem::path root);

  const std::filesystem::path& root() const { return root_; }
  // True when the directory holds an index.html (the app was built).
  bool built() const;
  // The file a URL path (percent-decoded, starting with '/') names, or
  // nothing when it is unsafe, missing or not a regular file.
  std::optional<std::filesystem::path> resolve(const std::string& url_path) const;
  // 200 with the file, or 304 when If-None-Match matches its ETag. Hashed
  // files under assets/ are cached for a year; everything else revalidates.
  http::Response serve(const std::filesystem::path& file, const http::Request& req) const;

 private:
  std::filesystem::path root_;  // canonical when it exists
};

// "text/html; charset=utf-8" for "index.html", ... by extension;
// "application/octet-stream" when unknown.
std::string content_type_for(const std::filesystem::path& file);

}  // namespace hydra::api
