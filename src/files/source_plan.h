#pragma once
// What a source asks for, before any byte is fetched (the extension point
// for sources): the files to download with their published sizes and
// checksums, a path to use in place, or a git repository to clone.
#include <string>
#include <vector>

#include "files/file_download.h"
#include "files/file_set.h"

namespace hydra::files {

struct Plan {
  std::vector<RemoteFile> files;
  std::string in_place_path;  // LOCAL
  std::string git_url;        // GIT
  std::string git_revision;
};

// Where sources find their endpoints and tokens when the set does not say.
struct SourceEnv {
  std::string hf_endpoint;          // HF_ENDPOINT, else https://huggingface.co
  std::string hf_token;             // HF_TOKEN
  std::string modelscope_endpoint;  // MODELSCOPE_ENDPOINT, else https://www.modelscope.cn
  std::string aws_access_key;       // AWS_ACCESS_KEY_ID
  std::string aws_secret_key;       // AWS_SECRET_ACCESS_KEY
  std::string aws_session_token;    // AWS_SESSION_TOKEN
  std::string aws_region;           // AWS_REGION
  static SourceEnv from_environment();
};

// Checks what can be checked without the network (uri shape, options);
// PARAM_ERROR naming the field otherwise. Used by the API at create time.
void check_file_set_request(const FileSet& f);

// Asks the source for its listing (network for hubs and S3). Throws SourceError.
Plan plan_source(const FileSet& f, const SourceEnv& env, const FetchOptions& opts);

Plan plan_hugging_face(const FileSet& f, const SourceEnv& env, const FetchOptions& opts);
Plan plan_modelscope(const FileSet& f, const SourceEnv& env, const FetchOptions& opts);
Plan plan_http(const FileSet& f);
Plan plan_s3(const FileSet& f, const SourceEnv& env, const FetchOptions& opts);

// Keeps only the files named in the comma-separated `files` option (all when absent);
// SourceError when a named file is not in the listing.
std::vector<ListedFile> select_files(std::vector<ListedFile> listed, const FileSet& f);

}  // namespace hydra::files
