// GgufValue: type names, element access and factories.
#include <cstring>

#include "engine/format/format_error.h"
#include "engine/format/gguf.h"

namespace hydra::engine {

const char* gguf_type_name(GgufType type) {
  switch (type) {
    case GgufType::kUint8:
      return "uint8";
    case GgufType::kInt8:
      return "int8";
    case GgufType::kUint16:
      return "uint16";
    case GgufType::kInt16:
      return "int16";
    case GgufType::kUint32:
      return "uint32";
    case GgufType::kInt32:
      return "int32";
    case GgufType::kFloat32:
      return "float32";
    case GgufType::kBool:
      return "bool";
    case GgufType::kString:
      return "string";
    case GgufType::kArray:
      return "array";
    case GgufType::kUint64:
      return "uint64";
    case GgufType::kInt64:
      return "int64";
    case GgufType::kFloat64:
      return "float64";
  }
  return "unknown";
}

size_t gguf_scalar_size(GgufType type) {
  switch (type) {
    case GgufType::kUint8:
    case GgufType::kInt8:
    case GgufType::kBool:
      return 1;
    case GgufType::kUint16:
    case GgufType::kInt16:
      return 2;
    case GgufType::kUint32:
    case GgufType::kInt32:
    case GgufType::kFloat32:
      return 4;
    case GgufType::kUint64:
    case GgufType::kInt64:
    case GgufType::kFloat64:
      return 8;
    case GgufType::kString:
    case GgufType::kArray:
      return 0;
  }
  return 0;
}

size_t GgufValue::size() const {
  if (!is_array()) return 0;
  if (elem_type == GgufType::kString) return strs.size();
  if (elem_type == GgufType::kArray) return items.size();
  const size_t width = gguf_scalar_size(elem_type);
  return width == 0 ? 0 : raw.size() / width;
}

namespace {

template <class T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

void check_numeric_index(const GgufValue& v, size_t k) {
  const size_t width = gguf_scalar_size(v.elem_type);
  if (!v.is_array() || width == 0) throw FormatError("gguf: value is not a numeric array");
  if (k >= v.raw.size() / width) throw FormatError("gguf: array index out of range");
}

}  // namespace

double GgufValue::number_at(size_t k) const {
  check_numeric_index(*this, k);
  const uint8_t* p = raw.data() + k * gguf_scalar_size(elem_type);
  switch (elem_type) {
    case GgufType::kFloat32:
      return load<float>(p);
    case GgufType::kFloat64:
      return load<double>(p);
    case GgufType::kUint64:
      return static_cast<double>(load<uint64_t>(p));
    default:
      return static_cast<double>(int_at(k));
  }
}

int64_t GgufValue::int_at(size_t k) const {
  check_numeric_index(*this, k);
  const uint8_t* p = raw.data() + k * gguf_scalar_size(elem_type);
  switch (elem_type) {
    case GgufType::kUint8:
    case GgufType::kBool:
      return load<uint8_t>(p);
    case GgufType::kInt8:
      return load<int8_t>(p);
    case GgufType::kUint16:
      return load<uint16_t>(p);
    case GgufType::kInt16:
      return load<int16_t>(p);
    case GgufType::kUint32:
      return load<uint32_t>(p);
    case GgufType::kInt32:
      return load<int32_t>(p);
    case GgufType::kInt64:
      return load<int64_t>(p);
    case GgufType::kUint64: {
      const auto u = load<uint64_t>(p);
      if (u > static_cast<uint64_t>(INT64_MAX)) throw FormatError("gguf: uint64 element too large");
      return static_cast<int64_t>(u);
    }
    default:
      throw FormatError("gguf: array of float is not an integer array");
  }
}

namespace {

GgufValue unsigned_value(GgufType t, uint64_t v) {
  GgufValue out;
  out.type = t;
  out.u = v;
  return out;
}

GgufValue signed_value(GgufType t, int64_t v) {
  GgufValue out;
  out.type = t;
  out.i = v;
  return out;
}

template <class T>
GgufValue array_of(GgufType elem, const std::vector<T>& v) {
  std::vector<uint8_t> bytes(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(bytes.data(), v.data(), bytes.size());
  return GgufValue::of_arr_raw(elem, std::move(bytes));
}

}  // namespace

GgufValue GgufValue::of_u8(uint8_t v) {
  return unsigned_value(GgufType::kUint8, v);
}
GgufValue GgufValue::of_u16(uint16_t v) {
  return unsigned_value(GgufType::kUint16, v);
}
GgufValue GgufValue::of_u32(uint32_t v) {
  return unsigned_value(GgufType::kUint32, v);
}
GgufValue GgufValue::of_u64(uint64_t v) {
  return unsigned_value(GgufType::kUint64, v);
}
GgufValue GgufValue::of_bool(bool v) {
  return unsigned_value(GgufType::kBool, v ? 1 : 0);
}
GgufValue GgufValue::of_i8(int8_t v) {
  return signed_value(GgufType::kInt8, v);
}
GgufValue GgufValue::of_i16(int16_t v) {
  return signed_value(GgufType::kInt16, v);
}
GgufValue GgufValue::of_i32(int32_t v) {
  return signed_value(GgufType::kInt32, v);
}
GgufValue GgufValue::of_i64(int64_t v) {
  return signed_value(GgufType::kInt64, v);
}

GgufValue GgufValue::of_f32(float v) {
  GgufValue out;
  out.type = GgufType::kFloat32;
  out.f = v;
  return out;
}

GgufValue GgufValue::of_f64(double v) {
  GgufValue out;
  out.type = GgufType::kFloat64;
  out.f = v;
  return out;
}

GgufValue GgufValue::of_str(std::string v) {
  GgufValue out;
  out.type = GgufType::kString;
  out.str = std::move(v);
  return out;
}

GgufValue GgufValue::of_arr_str(std::vector<std::string> v) {
  GgufValue out;
  out.type = GgufType::kArray;
  out.elem_type = GgufType::kString;
  out.strs = std::move(v);
  return out;
}

GgufValue GgufValue::of_arr_f32(const std::vector<float>& v) {
  return array_of(GgufType::kFloat32, v);
}

GgufValue GgufValue::of_arr_i32(const std::vector<int32_t>& v) {
  return array_of(GgufType::kInt32, v);
}

GgufValue GgufValue::of_arr_raw(GgufType elem, std::vector<uint8_t> bytes) {
  const size_t width = gguf_scalar_size(elem);
  if (width == 0 || bytes.size() % width != 0) {
    throw FormatError("gguf: raw array needs a numeric element type and whole elements");
  }
  GgufValue out;
  out.type = GgufType::kArray;
  out.elem_type = elem;
  out.raw = std::move(bytes);
  return out;
}

GgufValue GgufValue::of_arr_nested(std::vector<GgufValue> arrays) {
  for (const auto& a : arrays) {
    if (!a.is_array()) throw FormatError("gguf: nested array elements must be arrays");
  }
  GgufValue out;
  out.type = GgufType::kArray;
  out.elem_type = GgufType::kArray;
  out.items = std::move(arrays);
  return out;
}

}  // namespace hydra::engine
