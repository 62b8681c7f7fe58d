#include "files/file_download.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "common/random.h"
#include "common/strings.h"

namespace hydra::files {
namespace {

namespace fs = std::filesystem;

// Incremental sha256.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) { reset(); }
  void reset() { EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr); }
  void update(const char* p, size_t n) { EVP_DigestUpdate(ctx_.get(), p, n); }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_.get(), md, &n);
    return hex_encode(std::string_view(reinterpret_cast<const char*>(md), n));
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

void hash_file_into(const std::string& path, Sha256& h) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    h.update(buf.data(), static_cast<size_t>(in.gcount()));
  }
}

// The part file, appended to; closed (and synced) before the rename.
class PartFile {
 public:
  explicit PartFile(const std::string& path) : path_(path) { open(); }
  ~PartFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  void write(const char* p, size_t n) {
    while (n > 0) {
      ssize_t w = ::write(fd_, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        throw SourceError("cannot write " + path_ + ": " + std::strerror(errno));
      }
      p += w;
      n -= static_cast<size_t>(w);
    }
  }
  void truncate() {
    if (::ftruncate(fd_, 0) != 0) throw SourceError("cannot truncate " + path_);
  }
  void finish() {
    ::fsync(fd_);
    ::close(fd_);
    fd_ = -1;
  }

 private:
  void open() {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) throw SourceError("cannot open " + path_ + ": " + std::strerror(errno));
  }
  std::string path_;
  int fd_ = -1;
};

int64_t file_size_or_zero(const std::string& path) {
  std::error_code ec;
  auto n = fs::file_size(path, ec);
  return ec ? 0 : static_cast<int64_t>(n);
}

}  // namespace

std::string sha256_of_file(const std::string& path) {
  Sha256 h;
  hash_file_into(path, h);
  return h.hex();
}

FileResult download_file(const RemoteFile& f, const std::string& dir, const FetchOptions& opts,
                         const RetryPolicy& retry, const std::function<void(int64_t)>& on_bytes) {
  if (!safe_relative_path(f.path)) throw SourceError("unsafe file path '" + f.path + "'");
  std::string final_path = dir + "/" + f.path;
  std::string part_path = final_path + ".part";
  fs::create_directories(fs::path(final_path).parent_path());
  FileResult result;
  if (fs::exists(final_path) && (f.size < 0 || file_size_or_zero(final_path) == f.size)) {
    result.size = file_size_or_zero(final_path);
    on_bytes(result.size);
    return result;  // verified before it was renamed into place
  }
  int64_t size = f.size;
  std::string expected = to_lower(f.sha256);
  int64_t offset = file_size_or_zero(part_path);
  PartFile part(part_path);
  Sha256 hash;
  if (size >= 0 && offset > size) {
    part.truncate();
    offset = 0;
  }
  if (offset > 0) hash_file_into(part_path, hash);
  on_bytes(offset);

  int failures = 0;
  int64_t backoff = retry.first_backoff_ms;
  bool complete = size >= 0 && offset == size;
  while (!complete) {
    int64_t before = offset;
    auto restart_from_zero = [&] {
      part.truncate();
      hash.reset();
      on_bytes(-offset);
      offset = 0;
    };
    try {
      if (offset > 0) result.resumes++;
      fetch(
          f.url, f.headers ? f.headers() : http::Headers{}, offset, opts,
          [&](const FetchHead& h) {
            if (offset > 0 && (h.status == 200 || h.range_start != offset)) restart_from_zero();
            if (size < 0)
              size = h.total_size >= 0 ? h.total_size : (h.status == 200 ? h.content_length : -1);
            if (expected.empty() && f.etag_is_sha256 && is_sha256_hex(h.etag))
              expected = to_lower(h.etag);
            return true;
          },
          [&](const char* p, size_t n) {
            if (size >= 0 && offset + static_cast<int64_t>(n) > size) {
              throw FetchError(f.path + ": the server sent more than the " + std::to_string(size) +
                                   " bytes it announced",
                               false);
            }
            part.write(p, n);
            hash.update(p, n);
            offset += static_cast<int64_t>(n);
            on_bytes(static_cast<int64_t>(n));
          });
      complete = true;
    } catch (const FetchError& e) {
      // 416 on a resumed file: the part may already be whole; the checks below decide.
      if (e.status() == 416 && offset > 0) {
        complete = true;
        break;
      }
      if (!e.retryable()) throw SourceError(f.path + ": " + e.what());
      if (offset > before) {
        failures = 0;
        backoff = retry.first_backoff_ms;
      }
      if (++failures >= retry.max_failures) {
        throw SourceError(f.path + ": gave up after " + std::to_string(failures) +
                          " failed tries: " + e.what());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(backoff));
      backoff = std::min(backoff * 2, retry.max_backoff_ms);
    }
  }
  part.finish();
  result.size = offset;
  result.sha256 = hash.hex();
  if (size >= 0 && offset != size) {
    fs::remove(part_path);
    throw SourceError(f.path + ": size check failed: got " + std::to_string(offset) +
                      " bytes, the source says " + std::to_string(size));
  }
  if (!expected.empty() && expected != result.sha256) {
    fs::remove(part_path);
    throw SourceError(f.path + ": sha256 check failed: expected " + expected + ", got " +
                      result.sha256);
  }
  fs::rename(part_path, final_path);
  return result;
}

}  // namespace hydra::files
