#pragma once
// Parsers of the file listings model hubs and object stores publish. The
// bytes come from outside: every parser bounds what it accepts, rejects
// paths that could leave the download directory, and throws SourceError
// with a message that says what was wrong.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hydra::files {

class SourceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ListedFile {
  std::string path;    // relative, '/'-separated, checked by safe_relative_path
  int64_t size = -1;   // -1 when the listing does not say
  std::string sha256;  // lower-case hex, "" when the listing gives none
  std::string key;     // S3: the object key the path came from
};

inline constexpr size_t kMaxListedFiles = 100000;
inline constexpr int64_t kMaxFileSize = int64_t{1} << 50;

// A relative path that stays inside its directory: no empty, "." or ".."
// segments, no leading '/', no backslash or control characters, at most
// 1024 bytes.
bool safe_relative_path(std::string_view path);
// 64 hex digits (any case).
bool is_sha256_hex(std::string_view s);

// GET {endpoint}/api/models/{repo}/revision/{rev}?blobs=true: the
// "siblings" array ({rfilename, size, lfs: {sha256, size}}).
std::vector<ListedFile> parse_hf_listing(std::string_view json);

// GET {endpoint}/api/v1/models/{repo}/repo/files?Recursive=true: the
// "Data.Files" array ({Path, Size, Sha256, Type}); directories skipped.
std::vector<ListedFile> parse_modelscope_listing(std::string_view json);

// One page of S3 ListObjectsV2 (XML ListBucketResult). Keys are made
// relative to `prefix`; "directory" keys ending in '/' are skipped.
struct S3ListingPage {
  std::vector<ListedFile> files;
  bool truncated = false;
  std::string next_token;
};
S3ListingPage parse_s3_listing(std::string_view xml, std::string_view prefix);

}  // namespace hydra::files
