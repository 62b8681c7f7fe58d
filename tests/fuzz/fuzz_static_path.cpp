// Request paths from outside against the console's static file resolver:
// whatever the bytes, a resolved file lies inside the served directory.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "api/static_site.h"

namespace fs = std::filesystem;

namespace {

const fs::path& site_root() {
  static const fs::path root = [] {
    fs::path top = fs::temp_directory_path() / ("hydra-fuzz-static-" + std::to_string(getpid()));
    fs::create_directories(top / "dist" / "assets");
    std::ofstream(top / "dist" / "index.html") << "index";
    std::ofstream(top / "dist" / "assets" / "app.js") << "app";
    std::ofstream(top / "secret.txt") << "secret";
    return fs::canonical(top / "dist");
  }();
  return root;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const hydra::api::StaticSite site(site_root());
  std::string path = "/" + std::string(reinterpret_cast<const char*>(data), size);
  if (auto file = site.resolve(path)) {
    auto rel = file->lexically_relative(site_root());
    if (rel.empty() || *rel.begin() == "..") std::abort();  // escaped the directory
  }
  return 0;
}
