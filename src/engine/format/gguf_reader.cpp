// Parsing a GGUF file: header, metadata, tensor index, data section.
#include <cstring>

#include "engine/format/byte_reader.h"
#include "engine/format/format_error.h"
#include "engine/format/gguf.h"

namespace hydra::engine {

namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read little-endian
constexpr int kMaxArrayDepth = 8;        // nesting real files never come near
constexpr uint64_t kMaxNestedItems = uint64_t{1} << 20;

// Smallest encoding of one element, used to bound counts by the bytes left
// before anything is allocated for them.
uint64_t min_encoded_size(GgufType type) {
  if (type == GgufType::kString) return 8;     // length only
  if (type == GgufType::kArray) return 4 + 8;  // element type + count
  return gguf_scalar_size(type);
}

bool valid_type(uint32_t raw) {
  return raw <= static_cast<uint32_t>(GgufType::kFloat64);
}

class GgufParser {
 public:
  GgufParser(const uint8_t* bytes, size_t size, std::string what)
      : in_(bytes, size, std::move(what)), bytes_(bytes), size_(size) {}

  GgufFile parse() {
    GgufFile file;
    read_header(file);
    const auto n_tensors = in_.read<uint64_t>("tensor count");
    const auto n_kv = in_.read<uint64_t>("metadata count");
    // A key-value takes at least 13 bytes, a tensor record at least 24.
    if (n_kv > in_.remaining() / 13)
      in_.fail("metadata count " + std::to_string(n_kv) + " exceeds the file");
    for (uint64_t k = 0; k < n_kv; ++k) read_kv(file);
    read_alignment(file);
    if (n_tensors > in_.remaining() / 24) {
      in_.fail("tensor count " + std::to_string(n_tensors) + " exceeds the file");
    }
    file.tensors.reserve(static_cast<size_t>(n_tensors));
    for (uint64_t t = 0; t < n_tensors; ++t) read_tensor_info(file);
    place_data(file);
    return file;
  }

 private:
  void read_header(GgufFile& file) {
    const auto magic = in_.read<uint32_t>("magic");
    if (magic != kMagic) in_.fail("not a GGUF file (bad magic)");
    const auto version = in_.read<uint32_t>("version");
    if (version == 1) in_.fail("GGUF version 1 is not supported (convert the file to v3)");
    if (version == 0x02000000u || version == 0x03000000u) {
      in_.fail("big-endian GGUF files are not supported");
    }
    if (version != 2 && version != 3) in_.fail("unknown GGUF version " + std::to_string(version));
    file.version = version;
  }

  void read_kv(GgufFile& file) {
    std::string key = in_.read_string("metadata key");
    if (key.empty()) in_.fail("empty metadata key");
    const auto raw_type = in_.read<uint32_t>("metadata type");
    if (!valid_type(raw_type)) {
      in_.fail("metadata '" + key + "' has unknown type " + std::to_string(raw_type));
    }
    GgufValue value = read_value(static_cast<GgufType>(raw_type), 0, key);
    if (!file.metadata.emplace(std::move(key), std::move(value)).second) {
      in_.fail("duplicate metadata key");
    }
  }

  GgufValue read_value(GgufType type, int depth, const std::string& key) {
    GgufValue v;
    v.type = type;
    switch (type) {
      case GgufType::kUint8:
        v.u = in_.read<uint8_t>("uint8");
        break;
      case GgufType::kInt8:
        v.i = in_.read<int8_t>("int8");
        break;
      case GgufType::kUint16:
        v.u = in_.read<uint16_t>("uint16");
        break;
      case GgufType::kInt16:
        v.i = in_.read<int16_t>("int16");
        break;
      case GgufType::kUint32:
        v.u = in_.read<uint32_t>("uint32");
        break;
      case GgufType::kInt32:
        v.i = in_.read<int32_t>("int32");
        break;
      case GgufType::kUint64:
        v.u = in_.read<uint64_t>("uint64");
        break;
      case GgufType::kInt64:
        v.i = in_.read<int64_t>("int64");
        break;
      case GgufType::kFloat32:
        v.f = in_.read<float>("float32");
        break;
      case GgufType::kFloat64:
        v.f = in_.read<double>("float64");
        break;
      case GgufType::kBool: {
        const auto b = in_.read<uint8_t>("bool");
        if (b > 1) in_.fail("metadata '" + key + "' has bool value " + std::to_string(b));
        v.u = b;
        break;
      }
      case GgufType::kString:
        v.str = in_.read_string("string");
        break;
      case GgufType::kArray:
        read_array(v, depth, key);
        break;
    }
    return v;
  }

  void read_array(GgufValue& v, int depth, const std::string& key) {
    if (depth >= kMaxArrayDepth) in_.fail("metadata '" + key + "' nests arrays too deeply");
    const auto raw_elem = in_.read<uint32_t>("array type");
    if (!valid_type(raw_elem)) {
      in_.fail("metadata '" + key + "' has array of unknown type " + std::to_string(raw_elem));
    }
    v.elem_type = static_cast<GgufType>(raw_elem);
    const auto count = in_.read<uint64_t>("array length");
    if (count > in_.remaining() / min_encoded_size(v.elem_type)) {
      in_.fail("metadata '" + key + "' array of " + std::to_string(count) +
               " elements exceeds the file");
    }
    const auto n = static_cast<size_t>(count);
    if (v.elem_type == GgufType::kString) {
      v.strs.reserve(n);
      for (size_t k = 0; k < n; ++k) v.strs.push_back(in_.read_string("array string"));
    } else if (v.elem_type == GgufType::kArray) {
      nested_items_ += count;
      if (nested_items_ > kMaxNestedItems)
        in_.fail("metadata '" + key + "' has too many nested arrays");
      v.items.reserve(n);
      for (size_t k = 0; k < n; ++k)
        v.items.push_back(read_value(GgufType::kArray, depth + 1, key));
    } else {
      const size_t bytes = n * gguf_scalar_size(v.elem_type);
      if (v.elem_type == GgufType::kBool) check_bools(in_.here(), n, key);
      v.raw.assign(in_.here(), in_.here() + bytes);
      in_.skip(bytes, "array data");
    }
  }

  void check_bools(const uint8_t* p, size_t n, const std::string& key) {
    for (size_t k = 0; k < n; ++k) {
      if (p[k] > 1) in_.fail("metadata '" + key + "' has a bool array element that is not 0 or 1");
    }
  }

  void read_alignment(GgufFile& file) {
    const GgufValue* a = file.find("general.alignment");
    if (a == nullptr) return;
    if (a->type != GgufType::kUint32) in_.fail("general.alignment must be uint32");
    if (a->u == 0 || (a->u & (a->u - 1)) != 0 || a->u > (1u << 30)) {
      in_.fail("general.alignment " + std::to_string(a->u) + " is not a power of two");
    }
    file.alignment = static_cast<uint32_t>(a->u);
  }

  void read_tensor_info(GgufFile& file) {
    GgufTensor t;
    t.name = in_.read_string("tensor name");
    const std::string where = "tensor '" + t.name + "'";
    t.n_dims = in_.read<uint32_t>("tensor dims");
    if (t.n_dims > kGgufMaxDims)
      in_.fail(where + " has " + std::to_string(t.n_dims) + " dimensions");
    for (uint32_t d = 0; d < t.n_dims; ++d) {
      const auto ne = in_.read<uint64_t>("tensor shape");
      if (ne > static_cast<uint64_t>(INT64_MAX)) in_.fail(where + " has a negative dimension");
      t.ne[d] = static_cast<int64_t>(ne);
    }
    const auto raw_type = in_.read<uint32_t>("tensor type");
    const auto info = ggml_type_info(raw_type);
    if (!info) in_.fail(where + " has unknown ggml type " + std::to_string(raw_type));
    t.type = info->type;
    t.offset = in_.read<uint64_t>("tensor offset");
    t.nbytes = tensor_bytes(t, *info, where);
    if (t.offset % file.alignment != 0) in_.fail(where + " data offset is not aligned");
    if (!file.tensor_index.emplace(t.name, file.tensors.size()).second) {
      in_.fail("duplicate tensor name '" + t.name + "'");
    }
    file.tensors.push_back(std::move(t));
  }

  // Element count times bytes per element, refusing any overflow.
  uint64_t tensor_bytes(const GgufTensor& t, const GgmlTypeInfo& info, const std::string& where) {
    unsigned __int128 elements = 1;
    for (int d = 0; d < kGgufMaxDims; ++d) {
      elements *= static_cast<uint64_t>(t.ne[d]);
      if (elements > static_cast<uint64_t>(INT64_MAX)) in_.fail(where + " has too many elements");
    }
    if (t.ne[0] % info.block_size != 0) {
      in_.fail(where + " row of " + std::to_string(t.ne[0]) + " is not a multiple of " + info.name +
               "'s block size");
    }
    const unsigned __int128 bytes = elements / info.block_size * info.type_size;
    if (bytes > static_cast<uint64_t>(INT64_MAX)) in_.fail(where + " is too large");
    return static_cast<uint64_t>(bytes);
  }

  void place_data(GgufFile& file) {
    const uint64_t pos = in_.pos();
    const uint64_t aligned = (pos + file.alignment - 1) / file.alignment * file.alignment;
    file.data_offset = aligned;
    file.data_size = aligned <= size_ ? size_ - aligned : 0;
    file.data = aligned <= size_ ? bytes_ + aligned : nullptr;
    for (auto& t : file.tensors) {
      if (t.offset > file.data_size || t.nbytes > file.data_size - t.offset) {
        in_.fail("tensor '" + t.name + "' data [" + std::to_string(t.offset) + ", +" +
                 std::to_string(t.nbytes) + ") lies beyond the end of the file");
      }
      t.data = file.data + t.offset;
    }
  }

  ByteReader in_;
  const uint8_t* bytes_;
  size_t size_;
  uint64_t nested_items_ = 0;
};

}  // namespace

GgufFile parse_gguf(const uint8_t* bytes, size_t size, std::string what) {
  return GgufParser(bytes, size, std::move(what)).parse();
}

GgufFile read_gguf(const std::string& path) {
  auto mapping = std::make_shared<const MappedFile>(path);
  GgufFile file = parse_gguf(mapping->data(), mapping->size(), path);
  file.mapping = std::move(mapping);
  return file;
}

}  // namespace hydra::engine
