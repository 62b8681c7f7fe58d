#pragma once
// Streaming HTTP GET for model files (Boost.Beast, http and https). The
// shared client (http/client.h) keeps whole bodies in memory; model files
// are gigabytes, so this one hands the body over chunk by chunk, sends a
// Range for resumed files, follows redirects (hubs send large files to a
// CDN) and reports the checksum headers of every hop.
#include <cstdint>
#include <functional>
#include <string>

#include "files/listing.h"
#include "http/message.h"

namespace hydra::files {

struct FetchOptions {
  int64_t connect_timeout_ms = 10000;
  int64_t read_timeout_ms = 30000;  // per read: a stalled connection fails, a slow one does not
  int max_redirects = 8;
  bool verify_tls = true;
  std::string ca_file;
};

// A failed transfer. Retryable ones (lost connections, time-outs, 5xx, 429)
// are worth another try from where the file stopped.
class FetchError : public SourceError {
 public:
  FetchError(const std::string& msg, bool retryable, int status = 0)
      : SourceError(msg), retryable_(retryable), status_(status) {}
  bool retryable() const { return retryable_; }
  int status() const { return status_; }

 private:
  bool retryable_;
  int status_;
};

struct FetchHead {
  int status = 0;
  int64_t content_length = -1;  // -1 when not given (chunked or until close)
  int64_t range_start = -1;     // from Content-Range on 206
  int64_t total_size = -1;      // from Content-Range or X-Linked-Size
  std::string etag;             // X-Linked-Etag of a redirect hop, else ETag; quotes removed
  std::string final_url;
};

// GET `url` with `headers` (and `Range: bytes=offset-` when offset > 0).
// on_head sees the final answer's head (after redirects) and returns
// whether to read the body; on_data receives the body in chunks (and may
// throw to stop). Only 200 and 206 bodies are offered; other statuses
// throw FetchError.
void fetch(const std::string& url, const http::Headers& headers, int64_t offset,
           const FetchOptions& opts, const std::function<bool(const FetchHead&)>& on_head,
           const std::function<void(const char*, size_t)>& on_data);

// A small document (a listing) in memory; FetchError beyond max_bytes.
std::string fetch_text(const std::string& url, const http::Headers& headers,
                       const FetchOptions& opts, size_t max_bytes = 64 << 20);

// Removes surrounding quotes and a weak W/ marker from an ETag.
std::string clean_etag(std::string_view etag);

}  // namespace hydra::files
