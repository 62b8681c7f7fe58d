// File listings from model hubs and object stores (Hugging Face and
// ModelScope JSON, S3 ListObjectsV2 XML): any bytes either parse into
// paths that stay inside the download directory, with sane sizes and
// checksums, or fail with SourceError; never a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "files/listing.h"

namespace {

void check(const std::vector<hydra::files::ListedFile>& files) {
  for (const auto& f : files) {
    if (!hydra::files::safe_relative_path(f.path)) __builtin_trap();
    if (f.size < -1 || f.size > hydra::files::kMaxFileSize) __builtin_trap();
    if (!f.sha256.empty() && !hydra::files::is_sha256_hex(f.sha256)) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    check(hydra::files::parse_hf_listing(text));
  } catch (const hydra::files::SourceError&) {
  }
  try {
    check(hydra::files::parse_modelscope_listing(text));
  } catch (const hydra::files::SourceError&) {
  }
  // The prefix comes from the input too: text up to the first newline.
  size_t nl = text.find('\n');
  std::string prefix = nl == std::string::npos ? "" : text.substr(0, nl);
  try {
    auto page = hydra::files::parse_s3_listing(text, prefix);
    check(page.files);
    if (page.truncated && page.next_token.empty()) __builtin_trap();
  } catch (const hydra::files::SourceError&) {
  }
  return 0;
}
