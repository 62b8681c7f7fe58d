#include "files/file_worker.h"

#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "common/log.h"

namespace hydra::files {
namespace {

std::mutex g_mu;
std::condition_variable g_cv;
uint64_t g_generation = 0;

void wait_changed(int64_t timeout_ms, uint64_t seen) {
  std::unique_lock<std::mutex> lock(g_mu);
  g_cv.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return g_generation != seen; });
}

uint64_t generation() {
  std::lock_guard<std::mutex> lock(g_mu);
  return g_generation;
}

}  // namespace

void notify_file_sets_changed() {
  {
    std::lock_guard<std::mutex> lock(g_mu);
    ++g_generation;
  }
  g_cv.notify_all();
}

void remove_set_files(const std::string& data_dir, const FileSet& f) {
  if (used_in_place(f.source) || f.id.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(data_dir + "/model-files/" + f.id, ec);
}

FileWorker::FileWorker(store::Store& st, const Config& cfg, RunOptions opts)
    : store_(st), data_dir_(cfg.data_dir), opts_(std::move(opts)), box_(cfg) {}

FileWorker::~FileWorker() {
  stop();
}

std::string FileWorker::dir_of(const std::string& id) const {
  return data_dir_ + "/model-files/" + id;
}

// Rows written before secrets were sealed still work (open_secret reads
// plaintext) but should not stay readable in the database file.
void FileWorker::seal_old_secrets() {
  try {
    int64_t n = seal_plaintext_secrets(store_, box_);
    if (n > 0) spdlog::info("model files: sealed {} secret(s) stored in plaintext", n);
  } catch (const std::exception& e) {
    spdlog::warn("model files: could not seal stored secrets: {}", e.what());
  }
}

void FileWorker::start() {
  thread_ = std::thread([this] {
    seal_old_secrets();
    while (!stopping_) {
      uint64_t seen = generation();
      bool busy = false;
      try {
        busy = run_once();
      } catch (const std::exception& e) {
        spdlog::warn("model files: pass failed: {}", e.what());
      }
      if (!stopping_) wait_changed(busy ? 50 : 1000, seen);
    }
  });
}

void FileWorker::stop() {
  stopping_ = true;
  notify_file_sets_changed();
  if (thread_.joinable()) thread_.join();
}

bool FileWorker::run_once() {
  bool changed = false;
  for (auto& f : list_unfinished(store_)) {
    if (stopping_) break;
    changed |= process(std::move(f));
  }
  return changed;
}

bool FileWorker::settle_reference(FileSet& f) {
  auto target = find_file_set(store_, f.uri);
  std::string before = f.phase + '|' + f.reason + '|' + std::to_string(f.bytes_done);
  if (!target) {
    f.phase = phase::kFailed;
    f.reason = "the referenced file set " + f.uri + " no longer exists";
  } else if (target->phase == phase::kReady) {
    f.phase = phase::kReady;
    f.reason.clear();
    f.local_path = target->local_path;
    f.manifest = target->manifest;
    f.checksum = target->checksum;
    f.bytes_done = target->bytes_done;
    f.bytes_total = target->bytes_total;
    f.files_done = target->files_done;
    f.files_total = target->files_total;
  } else if (target->phase == phase::kFailed) {
    f.phase = phase::kFailed;
    f.reason = "the referenced file set '" + target->name + "' failed: " + target->reason;
  } else {
    f.reason = "waiting for the referenced file set '" + target->name + "'";
    f.bytes_done = target->bytes_done;
    f.bytes_total = target->bytes_total;
    f.rate = target->rate;
  }
  f.rate = f.phase == phase::kReady ? 0 : f.rate;
  save_progress(store_, f);
  return before != f.phase + '|' + f.reason + '|' + std::to_string(f.bytes_done);
}

bool FileWorker::process(FileSet f) {
  if (f.source == source::kReference) return settle_reference(f);
  std::string dir = dir_of(f.id);
  try {
    // Built only when needed, so a server that stores no secret creates no key file.
    if (!f.sealed_secret.empty()) f.secret = open_secret(f, box_.get());
    run_file_set(f, dir, opts_, [this](const FileSet& now) {
      if (stopping_ || !save_progress(store_, now)) throw Cancelled();
    });
    spdlog::info("model files {}: ready, {} files, {} bytes", f.name, f.files_total, f.bytes_total);
  } catch (const Cancelled&) {
    if (!find_file_set(store_, f.id)) remove_set_files(data_dir_, f);  // deleted meanwhile
    return false;
  } catch (const std::exception& e) {
    spdlog::warn("model files {}: {}", f.name, e.what());
    f.phase = phase::kFailed;
    f.reason = e.what();
    f.rate = 0;
    save_progress(store_, f);
  }
  return true;
}

}  // namespace hydra::files
