#include "files/model_file_check.h"

#include <cstdio>
#include <filesystem>

#include "files/file_set.h"
#include "files/set_download.h"

namespace hydra::files {
namespace {

std::string mib(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return buf;
}

std::string progress_text(const FileSet& f) {
  std::string text = "downloading model files '" + f.name + "': " + mib(f.bytes_done);
  if (f.bytes_total > 0) {
    text += " of " + mib(f.bytes_total) + " (" +
            std::to_string(f.bytes_done * 100 / f.bytes_total) + "%)";
  }
  return text;
}

}  // namespace

FileCheck check_model_files(store::Store& st, const std::string& deployment_id) {
  FileCheck c;
  auto id = file_set_of_deployment(st, deployment_id);
  if (!id) return c;
  auto f = find_file_set(st, *id);
  if (!f) {
    c.status = FileCheck::Status::kFailed;
    c.reason = "model file check failed: the file set " + *id + " was deleted";
    return c;
  }
  if (f->phase == phase::kFailed) {
    c.status = FileCheck::Status::kFailed;
    c.reason = "model files '" + f->name + "' failed: " + f->reason;
    return c;
  }
  if (f->phase != phase::kReady) {
    c.status = FileCheck::Status::kDownloading;
    c.reason = progress_text(*f);
    return c;
  }
  for (const auto& e : f->manifest) {
    std::error_code ec;
    std::string path = f->local_path + "/" + e.path;
    if (std::filesystem::is_regular_file(f->local_path)) path = f->local_path;
    auto size = std::filesystem::file_size(path, ec);
    if (ec || (e.size >= 0 && static_cast<int64_t>(size) != e.size)) {
      c.status = FileCheck::Status::kFailed;
      c.reason = "model file check failed: " + path + (ec ? " is missing" : " has the wrong size");
      return c;
    }
  }
  c.status = FileCheck::Status::kReady;
  c.model_path = model_path_of(*f);
  return c;
}

}  // namespace hydra::files
