#pragma once
// GIT sources: a shallow clone with the `git` program (Git LFS files come
// along when git-lfs is installed). No git on the machine is a clear error.
#include <functional>
#include <string>

namespace hydra::files {

// The path of `git` on PATH, or "".
std::string find_git();

// Clones `url` (at `revision` when set) into `dir`, which must not exist.
// `keep_going` is polled while git runs; returning false (or throwing)
// stops git. Throws SourceError with git's last output lines on failure.
void git_clone(const std::string& url, const std::string& revision, const std::string& dir,
               const std::function<bool()>& keep_going);

}  // namespace hydra::files
