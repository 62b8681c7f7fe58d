#pragma once
// The "model file check" before a deployment's replicas start: the file
// set the deployment uses must be READY and every file of its manifest on
// disk with its size. While the set downloads the deployment waits in
// Downloading; a failed set fails it with the set's reason.
#include <string>

#include "store/store.h"

namespace hydra::files {

struct FileCheck {
  enum class Status { kNoFileSet, kReady, kDownloading, kFailed };
  Status status = Status::kNoFileSet;
  std::string model_path;  // when ready: what the runtime loads
  std::string reason;
};

FileCheck check_model_files(store::Store& st, const std::string& deployment_id);

}  // namespace hydra::files
