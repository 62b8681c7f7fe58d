// Reading safetensors files and sharded sets.
#include <algorithm>
#include <cstring>
#include <set>

#include "engine/format/format_error.h"
#include "engine/format/ggml_types.h"
#include "engine/format/safetensors.h"
#include "engine/format/text_file.h"

namespace hydra::engine {

namespace bj = boost::json;

namespace {

constexpr uint64_t kMaxHeaderBytes = uint64_t{100} << 20;  // same cap as the reference library

struct DtypeName {
  StDtype dtype;
  const char* name;
  size_t size;
};

constexpr DtypeName kDtypes[] = {
    {StDtype::kBool, "BOOL", 1}, {StDtype::kU8, "U8", 1},          {StDtype::kI8, "I8", 1},
    {StDtype::kI16, "I16", 2},   {StDtype::kU16, "U16", 2},        {StDtype::kF16, "F16", 2},
    {StDtype::kBF16, "BF16", 2}, {StDtype::kI32, "I32", 4},        {StDtype::kU32, "U32", 4},
    {StDtype::kF32, "F32", 4},   {StDtype::kF64, "F64", 8},        {StDtype::kI64, "I64", 8},
    {StDtype::kU64, "U64", 8},   {StDtype::kF8E4M3, "F8_E4M3", 1}, {StDtype::kF8E5M2, "F8_E5M2", 1},
};

class HeaderParser {
 public:
  explicit HeaderParser(std::string what) : what_(std::move(what)) {}

  [[noreturn]] void fail(const std::string& message) const {
    throw FormatError(what_ + ": " + message);
  }

  uint64_t non_negative(const bj::value& v, const std::string& where) const {
    if (v.is_uint64()) return v.get_uint64();
    if (v.is_int64() && v.get_int64() >= 0) return static_cast<uint64_t>(v.get_int64());
    fail(where + " must be a non-negative integer");
  }

  StDtype dtype(const bj::value& v, const std::string& where) const {
    if (!v.is_string()) fail(where + " dtype must be a string");
    for (const auto& d : kDtypes) {
      if (v.get_string() == d.name) return d.dtype;
    }
    fail(where + " has unknown dtype '" + std::string(v.get_string()) + "'");
  }

  SafetensorsTensor tensor(const std::string& name, const bj::value& v, uint64_t data_size) const {
    const std::string where = "tensor '" + name + "'";
    if (!v.is_object()) fail(where + " must be an object");
    const auto& o = v.get_object();
    const bj::value* dt = o.if_contains("dtype");
    const bj::value* shape = o.if_contains("shape");
    const bj::value* offsets = o.if_contains("data_offsets");
    if (dt == nullptr || shape == nullptr || offsets == nullptr) {
      fail(where + " needs dtype, shape and data_offsets");
    }
    SafetensorsTensor t;
    t.name = name;
    t.dtype = dtype(*dt, where);
    if (!shape->is_array()) fail(where + " shape must be an array");
    unsigned __int128 elements = 1;
    for (const auto& d : shape->get_array()) {
      const uint64_t n = non_negative(d, where + " shape entry");
      elements *= n;
      if (n > static_cast<uint64_t>(INT64_MAX) || elements > static_cast<uint64_t>(INT64_MAX)) {
        fail(where + " has too many elements");
      }
      t.shape.push_back(static_cast<int64_t>(n));
    }
    if (!offsets->is_array() || offsets->get_array().size() != 2) {
      fail(where + " data_offsets must be [begin, end]");
    }
    t.begin = non_negative(offsets->get_array()[0], where + " begin");
    t.end = non_negative(offsets->get_array()[1], where + " end");
    if (t.begin > t.end || t.end > data_size) {
      fail(where + " data [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
           ") lies outside the " + std::to_string(data_size) + " data bytes");
    }
    if (elements * st_dtype_size(t.dtype) != t.end - t.begin) {
      fail(where + " holds " + std::to_string(t.end - t.begin) + " bytes, its shape needs " +
           std::to_string(static_cast<uint64_t>(elements * st_dtype_size(t.dtype))));
    }
    return t;
  }

  void metadata(const bj::value& v, SafetensorsFile& file) const {
    if (!v.is_object()) fail("__metadata__ must be an object");
    for (const auto& [k, val] : v.get_object()) {
      if (!val.is_string()) fail("__metadata__ value '" + std::string(k) + "' must be a string");
      file.metadata[std::string(k)] = std::string(val.get_string());
    }
  }

 private:
  std::string what_;
};

void check_no_overlap(std::vector<SafetensorsTensor>& tensors, const std::string& what) {
  std::sort(tensors.begin(), tensors.end(), [](const auto& a, const auto& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  for (size_t k = 1; k < tensors.size(); ++k) {
    if (tensors[k].begin < tensors[k - 1].end) {
      throw FormatError(what + ": tensors '" + tensors[k - 1].name + "' and '" + tensors[k].name +
                        "' overlap");
    }
  }
}

}  // namespace

const char* st_dtype_name(StDtype dtype) {
  for (const auto& d : kDtypes) {
    if (d.dtype == dtype) return d.name;
  }
  return "?";
}

size_t st_dtype_size(StDtype dtype) {
  for (const auto& d : kDtypes) {
    if (d.dtype == dtype) return d.size;
  }
  return 0;
}

int64_t SafetensorsTensor::n_elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

const SafetensorsTensor* SafetensorsFile::find(std::string_view name) const {
  auto it = index.find(std::string(name));
  return it == index.end() ? nullptr : &tensors[it->second];
}

SafetensorsFile parse_safetensors(const uint8_t* bytes, size_t size, std::string what) {
  HeaderParser p(what);
  if (size < 8) p.fail("file of " + std::to_string(size) + " bytes has no header");
  uint64_t header_len;
  std::memcpy(&header_len, bytes, 8);
  if (header_len > kMaxHeaderBytes)
    p.fail("header length " + std::to_string(header_len) + " is too large");
  if (header_len > size - 8)
    p.fail("header length " + std::to_string(header_len) + " exceeds the file");
  const std::string_view header(reinterpret_cast<const char*>(bytes + 8), header_len);
  if (header.empty() || header.front() != '{') p.fail("header is not a JSON object");
  const bj::value root = parse_json_text(header, what);
  if (!root.is_object()) p.fail("header is not a JSON object");

  SafetensorsFile file;
  file.data = bytes + 8 + header_len;
  file.data_size = size - 8 - header_len;
  for (const auto& [key, value] : root.get_object()) {
    if (key == "__metadata__") {
      p.metadata(value, file);
    } else {
      file.tensors.push_back(p.tensor(std::string(key), value, file.data_size));
    }
  }
  check_no_overlap(file.tensors, what);
  for (size_t k = 0; k < file.tensors.size(); ++k) {
    auto& t = file.tensors[k];
    t.data = file.data + t.begin;
    if (!file.index.emplace(t.name, k).second) p.fail("duplicate tensor '" + t.name + "'");
  }
  return file;
}

SafetensorsFile read_safetensors(const std::string& path) {
  auto mapping = std::make_shared<const MappedFile>(path);
  SafetensorsFile file = parse_safetensors(mapping->data(), mapping->size(), path);
  file.mapping = std::move(mapping);
  return file;
}

const SafetensorsTensor* SafetensorsModel::find(std::string_view name) const {
  auto it = index.find(std::string(name));
  if (it == index.end()) return nullptr;
  return &shards[it->second.first].tensors[it->second.second];
}

namespace {

void add_shard(SafetensorsModel& model, const std::string& name, SafetensorsFile file) {
  const size_t shard = model.shards.size();
  for (size_t k = 0; k < file.tensors.size(); ++k) {
    if (!model.index.emplace(file.tensors[k].name, std::make_pair(shard, k)).second) {
      throw FormatError(name + ": tensor '" + file.tensors[k].name + "' is also in another shard");
    }
  }
  model.shards.push_back(std::move(file));
  model.shard_names.push_back(name);
}

// Shard names come from a file we do not trust: keep them inside `dir`.
void check_shard_name(const std::string& name, const std::string& where) {
  if (name.empty() || name.find('/') != std::string::npos || name.find('\\') != std::string::npos ||
      name == "." || name == "..") {
    throw FormatError(where + ": shard name '" + name + "' is not a plain file name");
  }
}

}  // namespace

SafetensorsModel read_safetensors_dir(const std::string& dir) {
  SafetensorsModel model;
  const std::string index_path = dir + "/model.safetensors.index.json";
  if (!file_exists(index_path)) {
    const std::string single = dir + "/model.safetensors";
    if (!file_exists(single)) {
      throw FormatError(dir + ": neither model.safetensors nor model.safetensors.index.json found");
    }
    add_shard(model, "model.safetensors", read_safetensors(single));
    return model;
  }
  const bj::value root = parse_json_text(read_text_file(index_path), index_path);
  const bj::value* map = root.is_object() ? root.get_object().if_contains("weight_map") : nullptr;
  if (map == nullptr || !map->is_object()) throw FormatError(index_path + ": no weight_map object");
  std::set<std::string> shard_files;
  for (const auto& [tensor, file] : map->get_object()) {
    if (!file.is_string()) throw FormatError(index_path + ": weight_map values must be file names");
    check_shard_name(std::string(file.get_string()), index_path);
    shard_files.insert(std::string(file.get_string()));
  }
  for (const auto& name : shard_files) add_shard(model, name, read_safetensors(dir + "/" + name));
  for (const auto& [tensor, file] : map->get_object()) {
    auto it = model.index.find(std::string(tensor));
    if (it == model.index.end() || model.shard_names[it->second.first] != file.get_string()) {
      throw FormatError(index_path + ": tensor '" + std::string(tensor) + "' is not in " +
                        std::string(file.get_string()));
    }
  }
  return model;
}

std::vector<float> tensor_to_f32(const SafetensorsTensor& t) {
  const size_t n = static_cast<size_t>(t.n_elements());
  std::vector<float> out(n);
  switch (t.dtype) {
    case StDtype::kF32:
      if (n > 0) std::memcpy(out.data(), t.data, n * 4);
      return out;
    case StDtype::kF16:
    case StDtype::kBF16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, t.data + 2 * i, 2);
        out[i] = t.dtype == StDtype::kF16 ? fp16_to_fp32(h) : bf16_to_fp32(h);
      }
      return out;
    default:
      throw FormatError("tensor '" + t.name + "' has dtype " + st_dtype_name(t.dtype) +
                        ", not a float type");
  }
}

}  // namespace hydra::engine
