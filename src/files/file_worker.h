#pragma once
// The controller of file sets on this server: picks PENDING sets (and
// PROCESSING ones a stopped server left behind, which resume from their
// .part files), downloads them one at a time under
// <data_dir>/model-files/<id>/, writes progress to the store, and settles
// REFERENCE sets from the set they name. A set deleted while it downloads
// stops the transfer and loses its directory. Secrets are opened here, just
// before the download that needs them, and live only in memory; on start the
// worker seals the plaintext secrets of rows written before sealing.
#include <atomic>
#include <string>
#include <thread>

#include "common/config.h"
#include "common/secret_box.h"
#include "files/set_download.h"
#include "store/store.h"

namespace hydra::files {

// Wakes the worker (the API calls it after committing a new set).
void notify_file_sets_changed();

class FileWorker {
 public:
  // Downloads under cfg.data_dir; cfg (kept by reference) also gives the secret key.
  FileWorker(store::Store& st, const Config& cfg, RunOptions opts = {});
  ~FileWorker();
  FileWorker(const FileWorker&) = delete;
  FileWorker& operator=(const FileWorker&) = delete;

  void start();
  void stop();
  // One pass over every unfinished set; true when some set changed phase.
  bool run_once();
  std::string dir_of(const std::string& id) const;

 private:
  bool process(FileSet f);
  bool settle_reference(FileSet& f);
  void seal_old_secrets();

  store::Store& store_;
  std::string data_dir_;
  RunOptions opts_;
  LazySecretBox box_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// Removes a deleted set's downloaded files (never LOCAL or REFERENCE paths).
void remove_set_files(const std::string& data_dir, const FileSet& f);

}  // namespace hydra::files
