#pragma once
// One file from a source into a set's directory: resumed from its .part
// file with a Range request, retried after lost connections, verified
// against the size and the sha256 the source publishes, then renamed into
// place. A file already in place with the published size is kept.
#include <cstdint>
#include <functional>
#include <string>

#include "files/http_fetch.h"

namespace hydra::files {

struct RemoteFile {
  std::string path;  // relative path inside the set (checked by safe_relative_path)
  std::string url;
  int64_t size = -1;            // -1: learnt from the answer
  std::string sha256;           // expected, lower-case hex; "" when the source publishes none
  bool etag_is_sha256 = false;  // Hugging Face: a 64-hex (X-Linked-)ETag is the LFS sha256
  // Headers for each request (S3 signs every request with the current time).
  std::function<http::Headers()> headers;
};

struct RetryPolicy {
  int max_failures = 6;  // consecutive failures without a byte of progress
  int64_t first_backoff_ms = 100;
  int64_t max_backoff_ms = 5000;
};

struct FileResult {
  int64_t size = 0;
  std::string sha256;  // computed over the stored bytes ("" for a file kept from before)
  int resumes = 0;     // requests that continued a partial file
};

// Thrown when the caller's progress callback asks to stop.
class Cancelled : public std::runtime_error {
 public:
  Cancelled() : std::runtime_error("cancelled") {}
};

// `on_bytes` gets every change of the bytes on disk (negative when a part
// had to be thrown away); it may throw Cancelled. Throws SourceError
// (FetchError for transfer failures) with a message naming the file.
FileResult download_file(const RemoteFile& f, const std::string& dir, const FetchOptions& opts,
                         const RetryPolicy& retry, const std::function<void(int64_t)>& on_bytes);

// sha256 of a file on disk, streamed.
std::string sha256_of_file(const std::string& path);

}  // namespace hydra::files
