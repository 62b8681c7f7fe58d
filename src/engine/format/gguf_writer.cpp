#include "engine/format/gguf_writer.h"

#include <cstdio>
#include <cstring>
#include <fstream>

#include "engine/format/format_error.h"

namespace hydra::engine {

namespace {

class ByteSink {
 public:
  explicit ByteSink(std::vector<uint8_t>& out) : out_(out) {}

  template <class T>
  void put(T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    out_.insert(out_.end(), p, p + sizeof v);
  }
  void put_bytes(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    out_.insert(out_.end(), b, b + n);
  }
  void put_string(const std::string& s) {
    put<uint64_t>(s.size());
    put_bytes(s.data(), s.size());
  }
  void pad_to(size_t alignment) {
    while (out_.size() % alignment != 0) out_.push_back(0);
  }

 private:
  std::vector<uint8_t>& out_;
};

void put_value(ByteSink& out, const GgufValue& v);

void put_array(ByteSink& out, const GgufValue& v) {
  out.put<uint32_t>(static_cast<uint32_t>(v.elem_type));
  out.put<uint64_t>(v.size());
  if (v.elem_type == GgufType::kString) {
    for (const auto& s : v.strs) out.put_string(s);
  } else if (v.elem_type == GgufType::kArray) {
    for (const auto& item : v.items) {
      if (!item.is_array()) throw FormatError("gguf writer: nested element is not an array");
      put_value(out, item);
    }
  } else {
    const size_t width = gguf_scalar_size(v.elem_type);
    if (width == 0 || v.raw.size() % width != 0) {
      throw FormatError("gguf writer: array bytes do not hold whole elements");
    }
    out.put_bytes(v.raw.data(), v.raw.size());
  }
}

// The value's payload (its type tag is written by the caller, except for the
// elements of nested arrays, which carry their own element type only).
void put_value(ByteSink& out, const GgufValue& v) {
  switch (v.type) {
    case GgufType::kUint8:
      return out.put<uint8_t>(static_cast<uint8_t>(v.u));
    case GgufType::kInt8:
      return out.put<int8_t>(static_cast<int8_t>(v.i));
    case GgufType::kUint16:
      return out.put<uint16_t>(static_cast<uint16_t>(v.u));
    case GgufType::kInt16:
      return out.put<int16_t>(static_cast<int16_t>(v.i));
    case GgufType::kUint32:
      return out.put<uint32_t>(static_cast<uint32_t>(v.u));
    case GgufType::kInt32:
      return out.put<int32_t>(static_cast<int32_t>(v.i));
    case GgufType::kUint64:
      return out.put<uint64_t>(v.u);
    case GgufType::kInt64:
      return out.put<int64_t>(v.i);
    case GgufType::kFloat32:
      return out.put<float>(static_cast<float>(v.f));
    case GgufType::kFloat64:
      return out.put<double>(v.f);
    case GgufType::kBool:
      return out.put<uint8_t>(v.u != 0 ? 1 : 0);
    case GgufType::kString:
      return out.put_string(v.str);
    case GgufType::kArray:
      return put_array(out, v);
  }
  throw FormatError("gguf writer: unknown value type");
}

}  // namespace

void GgufWriter::set(const std::string& key, GgufValue value) {
  if (key.empty()) throw FormatError("gguf writer: empty metadata key");
  for (auto& kv : kv_) {
    if (kv.first == key) {
      kv.second = std::move(value);
      return;
    }
  }
  kv_.emplace_back(key, std::move(value));
}

void GgufWriter::set_alignment(uint32_t alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
    throw FormatError("gguf writer: alignment must be a power of two");
  }
  alignment_ = alignment;
  set_u32("general.alignment", alignment);
}

void GgufWriter::add_tensor(const std::string& name, GgmlType type, const std::vector<int64_t>& ne,
                            const void* data, size_t nbytes) {
  if (ne.empty() || ne.size() > kGgufMaxDims) {
    throw FormatError("gguf writer: tensor '" + name + "' needs 1 to 4 dimensions");
  }
  int64_t rows = 1;
  for (size_t d = 1; d < ne.size(); ++d) rows *= ne[d];
  const size_t expected = row_size(type, ne[0]) * static_cast<size_t>(rows);
  if (nbytes != expected) {
    throw FormatError("gguf writer: tensor '" + name + "' has " + std::to_string(nbytes) +
                      " bytes, its shape needs " + std::to_string(expected));
  }
  for (const auto& t : tensors_) {
    if (t.name == name) throw FormatError("gguf writer: duplicate tensor '" + name + "'");
  }
  const auto* b = static_cast<const uint8_t*>(data);
  tensors_.push_back({name, type, ne, std::vector<uint8_t>(b, b + nbytes)});
}

std::vector<uint8_t> GgufWriter::to_bytes() const {
  std::vector<uint8_t> bytes;
  ByteSink out(bytes);
  out.put<uint32_t>(0x46554747);  // "GGUF"
  out.put<uint32_t>(3);
  out.put<uint64_t>(tensors_.size());
  out.put<uint64_t>(kv_.size());
  for (const auto& [key, value] : kv_) {
    out.put_string(key);
    out.put<uint32_t>(static_cast<uint32_t>(value.type));
    put_value(out, value);
  }
  uint64_t offset = 0;
  for (const auto& t : tensors_) {
    out.put_string(t.name);
    out.put<uint32_t>(static_cast<uint32_t>(t.ne.size()));
    for (int64_t n : t.ne) out.put<uint64_t>(static_cast<uint64_t>(n));
    out.put<uint32_t>(static_cast<uint32_t>(t.type));
    out.put<uint64_t>(offset);
    offset += (t.bytes.size() + alignment_ - 1) / alignment_ * alignment_;
  }
  out.pad_to(alignment_);
  for (const auto& t : tensors_) {
    out.put_bytes(t.bytes.data(), t.bytes.size());
    out.pad_to(alignment_);
  }
  return bytes;
}

void GgufWriter::write_file(const std::string& path) const {
  const std::vector<uint8_t> bytes = to_bytes();
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
    if (!f) throw FormatError("gguf writer: cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw FormatError("gguf writer: cannot rename " + tmp + " to " + path);
  }
}

}  // namespace hydra::engine
