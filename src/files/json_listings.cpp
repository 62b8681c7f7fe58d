// The Hugging Face and ModelScope file listings (JSON).
#include <boost/json.hpp>
#include <set>

#include "common/strings.h"
#include "files/listing.h"

namespace hydra::files {
namespace {

namespace bj = boost::json;

constexpr size_t kMaxListingBytes = 64 << 20;

bj::value parse_json(std::string_view text, const char* what) {
  if (text.size() > kMaxListingBytes) throw SourceError(std::string(what) + " is too large");
  boost::system::error_code ec;
  bj::value v = bj::parse(text, ec);
  if (ec) throw SourceError(std::string(what) + " is not valid JSON: " + ec.message());
  if (!v.is_object()) throw SourceError(std::string(what) + " is not a JSON object");
  return v;
}

// Integer sizes only; anything else (strings, fractions, negatives) is a broken listing.
int64_t size_of(const bj::value* v, const std::string& path) {
  if (!v || v->is_null()) return -1;
  int64_t n = -1;
  if (v->is_int64()) {
    n = v->get_int64();
  } else if (v->is_uint64() && v->get_uint64() <= static_cast<uint64_t>(kMaxFileSize)) {
    n = static_cast<int64_t>(v->get_uint64());
  } else {
    throw SourceError("listing gives '" + path + "' a size that is not a whole number");
  }
  if (n < 0 || n > kMaxFileSize)
    throw SourceError("listing gives '" + path + "' an impossible size");
  return n;
}

std::string sha_of(const bj::value* v, const std::string& path) {
  if (!v || v->is_null()) return "";
  if (!v->is_string() || !is_sha256_hex(v->get_string())) {
    throw SourceError("listing gives '" + path + "' a sha256 that is not 64 hex digits");
  }
  return to_lower(v->get_string());
}

class Collector {
 public:
  void add(ListedFile f) {
    if (!safe_relative_path(f.path)) {
      throw SourceError("listing names an unsafe file path '" +
                        utf8_sanitize(f.path.substr(0, 200)) + "'");
    }
    if (!seen_.insert(f.path).second) throw SourceError("listing names '" + f.path + "' twice");
    if (files_.size() >= kMaxListedFiles) throw SourceError("listing names too many files");
    files_.push_back(std::move(f));
  }
  std::vector<ListedFile> take() { return std::move(files_); }

 private:
  std::set<std::string> seen_;
  std::vector<ListedFile> files_;
};

std::string path_field(const bj::object& o, std::string_view key, const char* what) {
  const bj::value* p = o.if_contains(key);
  if (!p || !p->is_string()) {
    throw SourceError(std::string(what) + " entry has no string '" + std::string(key) + "'");
  }
  return std::string(p->get_string());
}

}  // namespace

std::vector<ListedFile> parse_hf_listing(std::string_view json) {
  bj::value v = parse_json(json, "Hugging Face listing");
  const bj::value* siblings = v.as_object().if_contains("siblings");
  if (!siblings || !siblings->is_array()) {
    const bj::value* err = v.as_object().if_contains("error");
    if (err && err->is_string()) {
      throw SourceError("Hugging Face answered: " +
                        utf8_sanitize(std::string(err->get_string()).substr(0, 300)));
    }
    throw SourceError("Hugging Face listing has no 'siblings' array");
  }
  Collector out;
  for (const auto& s : siblings->get_array()) {
    if (!s.is_object()) throw SourceError("Hugging Face listing: a sibling is not an object");
    const auto& o = s.get_object();
    ListedFile f;
    f.path = path_field(o, "rfilename", "Hugging Face listing");
    f.size = size_of(o.if_contains("size"), f.path);
    if (const bj::value* lfs = o.if_contains("lfs"); lfs && !lfs->is_null()) {
      if (!lfs->is_object())
        throw SourceError("Hugging Face listing: 'lfs' of '" + f.path + "' is not an object");
      f.sha256 = sha_of(lfs->get_object().if_contains("sha256"), f.path);
      int64_t lfs_size = size_of(lfs->get_object().if_contains("size"), f.path);
      if (f.size < 0) f.size = lfs_size;
      if (lfs_size >= 0 && lfs_size != f.size) {
        throw SourceError("Hugging Face listing gives '" + f.path + "' two different sizes");
      }
    }
    out.add(std::move(f));
  }
  return out.take();
}

std::vector<ListedFile> parse_modelscope_listing(std::string_view json) {
  bj::value v = parse_json(json, "ModelScope listing");
  const auto& root = v.as_object();
  if (const bj::value* ok = root.if_contains("Success"); ok && ok->is_bool() && !ok->get_bool()) {
    const bj::value* msg = root.if_contains("Message");
    std::string text = msg && msg->is_string() ? std::string(msg->get_string()) : "no message";
    throw SourceError("ModelScope answered: " + utf8_sanitize(text.substr(0, 300)));
  }
  const bj::value* data = root.if_contains("Data");
  const bj::value* files =
      data && data->is_object() ? data->get_object().if_contains("Files") : nullptr;
  if (!files || !files->is_array())
    throw SourceError("ModelScope listing has no 'Data.Files' array");
  Collector out;
  for (const auto& e : files->get_array()) {
    if (!e.is_object()) throw SourceError("ModelScope listing: a file entry is not an object");
    const auto& o = e.get_object();
    if (const bj::value* type = o.if_contains("Type");
        type && type->is_string() && type->get_string() == "tree") {
      continue;
    }
    ListedFile f;
    f.path = path_field(o, "Path", "ModelScope listing");
    f.size = size_of(o.if_contains("Size"), f.path);
    const bj::value* sha = o.if_contains("Sha256");
    if (sha && sha->is_string() && sha->get_string().empty()) sha = nullptr;
    f.sha256 = sha_of(sha, f.path);
    out.add(std::move(f));
  }
  return out.take();
}

}  // namespace hydra::files
