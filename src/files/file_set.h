#pragma once
// Model file sets (the ModelFiles / Dataset resource, DESIGN.md §§3, 7): where
// a model's files come from, where they land, and how far the download got.
// Rows are written by the API (what to fetch) and by the file worker (phase,
// progress, manifest).
#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/secret_box.h"
#include "store/store.h"

namespace hydra::files {

namespace source {
inline constexpr const char* kHuggingFace = "HUGGING_FACE";
inline constexpr const char* kModelScope = "MODEL_SCOPE";
inline constexpr const char* kHttp = "HTTP";
inline constexpr const char* kS3 = "S3";
inline constexpr const char* kGit = "GIT";
inline constexpr const char* kLocal = "LOCAL";
inline constexpr const char* kReference = "REFERENCE";
}  // namespace source

namespace phase {
inline constexpr const char* kPending = "PENDING";
inline constexpr const char* kProcessing = "PROCESSING";
inline constexpr const char* kReady = "READY";
inline constexpr const char* kFailed = "FAILED";
}  // namespace phase

// One file of a set, as the source published it and as it was verified.
struct ManifestEntry {
  std::string path;  // relative to the set's directory
  int64_t size = -1;
  std::string sha256;  // "" when the source publishes none
};

struct FileSet {
  std::string id;
  std::string workspace_id;
  std::string name;
  std::string source;  // one of source::*
  std::string uri;
  std::map<std::string, std::string> options;  // revision, endpoint, region, sha256, file
  // Token or ACCESS_KEY:SECRET_KEY, in plaintext: only in memory, filled by
  // the caller that downloads (open_secret) and never written or answered.
  std::string secret;
  // What the row holds: "enc:v1:..." (seal_secret), or plaintext in rows
  // written before secrets were sealed (the file worker seals those).
  std::string sealed_secret;
  bool share = false;  // visible to (and usable by) every workspace
  std::string phase = phase::kPending;
  std::string reason;
  int64_t bytes_done = 0;
  int64_t bytes_total = -1;  // -1 until the listing is known
  int64_t files_done = 0;
  int64_t files_total = -1;
  double rate = 0;       // bytes per second, over the last few seconds
  std::string checksum;  // sha256 over the manifest, once READY
  std::string local_path;
  std::vector<ManifestEntry> manifest;
  std::string created_by;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// Sources whose files stay where they are (nothing is downloaded or deleted).
bool used_in_place(const std::string& source);
// PARAM_ERROR unless `source` is one this platform fetches on the local backend.
void check_source(const std::string& source);
// Seconds left at the current rate; -1 when unknown.
int64_t eta_seconds(const FileSet& f);

// Moves a plaintext `secret` into `sealed_secret`, sealed as MaaS keys are.
void seal_secret(FileSet& f, const SecretBox& box);
// The plaintext secret of a stored set ("" when it has none). Rows from
// before sealing hold plaintext and are read as it is.
std::string open_secret(const FileSet& f, const SecretBox& box);
bool has_secret(const FileSet& f);
// Seals the plaintext secrets of rows written before secrets were sealed;
// returns how many it sealed. The box is built only when there is one.
int64_t seal_plaintext_secrets(store::Store& st, LazySecretBox& box);

// Inserts (id, times filled in); CONFLICT when the workspace has that name.
// A set whose secret is not sealed yet is refused (std::logic_error): no
// caller may store one in plaintext.
void insert_file_set(store::Session& s, FileSet& f);
std::optional<FileSet> find_file_set(store::Store& st, const std::string& id);
std::optional<FileSet> find_file_set(store::Session& s, const std::string& id);
std::optional<FileSet> find_file_set_by_name(store::Store& st, const std::string& workspace_id,
                                             const std::string& name);

// By id or by name; only a set the caller may use: an administrator any,
// others their workspace's sets and shared ones. nullopt otherwise.
std::optional<FileSet> find_usable_file_set(store::Store& st, const std::string& ref,
                                            const std::string& workspace_id, bool admin);

struct FileSetQuery {
  std::string workspace_id;  // "" for all (administrators); else its own plus shared sets
  std::string phase;
  std::string source;
  int64_t offset = 0;
  int64_t limit = 20;
};
struct FileSetPage {
  std::vector<FileSet> items;
  int64_t total = 0;
};
FileSetPage list_file_sets(store::Store& st, const FileSetQuery& q);
// Sets the worker has to act on (PENDING, and PROCESSING left by a stopped server).
std::vector<FileSet> list_unfinished(store::Store& st);

// Worker side. Each returns false when the row is gone (the set was deleted).
bool save_progress(store::Store& st, const FileSet& f);
bool save_phase(store::Store& st, const std::string& id, const std::string& phase,
                const std::string& reason);
bool delete_file_set(store::Session& s, const std::string& id);

// Deployments that use a set, and sets that refer to it: a set in use is not deleted.
int64_t count_users(store::Session& s, const std::string& id);
void attach_deployment(store::Session& s, const std::string& deployment_id,
                       const std::string& file_set_id);
std::optional<std::string> file_set_of_deployment(store::Store& st,
                                                  const std::string& deployment_id);

boost::json::object to_json(const FileSet& f);

}  // namespace hydra::files
