#pragma once
// Fetches a whole file set: asks the source for its plan, downloads every
// file (resumable, verified), and fills in the set's progress, manifest,
// checksum and local path. Used by the server's file worker and by
// `hydra pull`; both see the same progress.
#include <functional>
#include <string>

#include "files/file_download.h"
#include "files/file_set.h"
#include "files/source_plan.h"

namespace hydra::files {

struct RunOptions {
  SourceEnv env = SourceEnv::from_environment();
  FetchOptions fetch;
  RetryPolicy retry;
  int64_t report_every_ms = 250;
};

// Downloads into `dir` (created; LOCAL sets use their own path). `report`
// is called with the set as it progresses (at most every report_every_ms,
// and at every phase change); it may throw Cancelled to stop. On return the
// set is READY. Throws SourceError (the set is left PROCESSING: the caller
// records the failure) or Cancelled.
void run_file_set(FileSet& f, const std::string& dir, const RunOptions& opts,
                  const std::function<void(const FileSet&)>& report);

// sha256 over the sorted manifest ("<sha256> <size> <path>" lines): one
// value that names exactly these bytes.
std::string manifest_checksum(const std::vector<ManifestEntry>& entries);

// The path a runtime gets: a set holding a single GGUF file is that file;
// otherwise the set's directory.
std::string model_path_of(const FileSet& f);

}  // namespace hydra::files
