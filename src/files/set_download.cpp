#include "files/set_download.h"

#include <algorithm>
#include <filesystem>

#include "common/clock.h"
#include "files/git_clone.h"
#include "files/rate_meter.h"
#include "files/sigv4.h"

namespace hydra::files {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxWalkedFiles = 100000;

// Sizes of what is on disk (LOCAL paths and git clones), .git excluded.
std::vector<ManifestEntry> walk(const std::string& root) {
  std::vector<ManifestEntry> out;
  if (fs::is_regular_file(root)) {
    out.push_back(
        {fs::path(root).filename().string(), static_cast<int64_t>(fs::file_size(root)), ""});
    return out;
  }
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    if (it->is_directory() && it->path().filename() == ".git") {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;
    if (out.size() >= kMaxWalkedFiles) throw SourceError(root + " holds too many files");
    out.push_back(
        {fs::relative(it->path(), root).string(), static_cast<int64_t>(it->file_size()), ""});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return out;
}

void finish_from_disk(FileSet& f, const std::string& root) {
  f.manifest = walk(root);
  f.bytes_total = 0;
  for (const auto& e : f.manifest) f.bytes_total += e.size;
  f.bytes_done = f.bytes_total;
  f.files_total = f.files_done = static_cast<int64_t>(f.manifest.size());
  f.local_path = root;
}

class Reporter {
 public:
  Reporter(FileSet& f, const RunOptions& o, const std::function<void(const FileSet&)>& report)
      : f_(f), every_ns_(o.report_every_ms * 1000000), report_(report) {}
  void bytes(int64_t delta) {
    f_.bytes_done += delta;
    int64_t now = mono_ns();
    meter_.sample(now, f_.bytes_done);
    if (now - last_ns_ >= every_ns_) now_();
  }
  void now_() {
    f_.rate = meter_.bytes_per_second();
    last_ns_ = mono_ns();
    report_(f_);
  }

 private:
  FileSet& f_;
  int64_t every_ns_;
  const std::function<void(const FileSet&)>& report_;
  RateMeter meter_;
  int64_t last_ns_ = 0;
};

void download_all(FileSet& f, Plan& plan, const std::string& dir, const RunOptions& opts,
                  Reporter& reporter) {
  f.files_total = static_cast<int64_t>(plan.files.size());
  f.bytes_total = 0;
  for (const auto& r : plan.files)
    f.bytes_total = r.size < 0 || f.bytes_total < 0 ? -1 : f.bytes_total + r.size;
  f.bytes_done = 0;
  f.files_done = 0;
  f.manifest.clear();
  reporter.now_();
  for (auto& r : plan.files) {
    FileResult res =
        download_file(r, dir, opts.fetch, opts.retry, [&](int64_t d) { reporter.bytes(d); });
    std::string sha = r.sha256.empty() ? res.sha256 : r.sha256;
    f.manifest.push_back({r.path, res.size, sha});
    f.files_done++;
  }
  f.bytes_total = 0;
  for (const auto& e : f.manifest) f.bytes_total += e.size;
  f.bytes_done = f.bytes_total;
  f.local_path = dir;
}

}  // namespace

std::string manifest_checksum(const std::vector<ManifestEntry>& entries) {
  std::vector<ManifestEntry> sorted = entries;
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.path < b.path; });
  std::string text;
  for (const auto& e : sorted)
    text += e.sha256 + " " + std::to_string(e.size) + " " + e.path + "\n";
  return sha256_hex_of(text);
}

std::string model_path_of(const FileSet& f) {
  if (f.local_path.empty()) return "";
  if (fs::is_regular_file(f.local_path)) return f.local_path;
  const ManifestEntry* gguf = nullptr;
  int ggufs = 0;
  for (const auto& e : f.manifest) {
    if (e.path.size() > 5 && e.path.substr(e.path.size() - 5) == ".gguf") {
      gguf = &e;
      ++ggufs;
    }
  }
  if (ggufs == 1 && f.manifest.size() == 1) return f.local_path + "/" + gguf->path;
  return f.local_path;
}

void run_file_set(FileSet& f, const std::string& dir, const RunOptions& opts,
                  const std::function<void(const FileSet&)>& report) {
  Reporter reporter(f, opts, report);
  f.phase = phase::kProcessing;
  f.reason = "listing files";
  reporter.now_();
  Plan plan = plan_source(f, opts.env, opts.fetch);
  if (!plan.in_place_path.empty()) {
    if (!fs::exists(plan.in_place_path)) throw SourceError(plan.in_place_path + " does not exist");
    finish_from_disk(f, plan.in_place_path);
  } else if (!plan.git_url.empty()) {
    f.reason = "cloning " + plan.git_url;
    reporter.now_();
    fs::remove_all(dir);  // a clone interrupted earlier cannot be continued
    git_clone(plan.git_url, plan.git_revision, dir, [&] {
      reporter.bytes(0);  // reports (throttled) and lets a deletion stop git
      return true;
    });
    finish_from_disk(f, dir);
  } else {
    f.reason = "downloading";
    download_all(f, plan, dir, opts, reporter);
  }
  f.checksum = manifest_checksum(f.manifest);
  f.phase = phase::kReady;
  f.reason.clear();
  f.rate = 0;
  report(f);
}

}  // namespace hydra::files
