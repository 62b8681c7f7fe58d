// GgufFile: typed access to metadata and tensors.
#include <limits>

#include "engine/format/format_error.h"
#include "engine/format/gguf.h"
#include "engine/format/quant.h"

namespace hydra::engine {

namespace {

[[noreturn]] void missing(std::string_view key) {
  throw FormatError("gguf: missing metadata key '" + std::string(key) + "'");
}

[[noreturn]] void wrong_type(std::string_view key, const GgufValue& v, const char* expected) {
  std::string got = gguf_type_name(v.type);
  if (v.is_array()) got += std::string(" of ") + gguf_type_name(v.elem_type);
  throw FormatError("gguf: metadata key '" + std::string(key) + "' is " + got + ", expected " +
                    expected);
}

bool is_unsigned(GgufType t) {
  return t == GgufType::kUint8 || t == GgufType::kUint16 || t == GgufType::kUint32 ||
         t == GgufType::kUint64;
}

bool is_signed(GgufType t) {
  return t == GgufType::kInt8 || t == GgufType::kInt16 || t == GgufType::kInt32 ||
         t == GgufType::kInt64;
}

// Any integer value as a target type, when it fits.
template <class T>
T integer_as(std::string_view key, const GgufValue& v, const char* expected) {
  if (is_unsigned(v.type)) {
    if (v.u > static_cast<uint64_t>(std::numeric_limits<T>::max())) wrong_type(key, v, expected);
    return static_cast<T>(v.u);
  }
  if (is_signed(v.type)) {
    if (v.i < 0 && !std::numeric_limits<T>::is_signed) wrong_type(key, v, expected);
    if (v.i >= 0 &&
        static_cast<uint64_t>(v.i) > static_cast<uint64_t>(std::numeric_limits<T>::max())) {
      wrong_type(key, v, expected);
    }
    if (v.i < static_cast<int64_t>(std::numeric_limits<T>::min())) wrong_type(key, v, expected);
    return static_cast<T>(v.i);
  }
  wrong_type(key, v, expected);
}

double real_of(std::string_view key, const GgufValue& v) {
  if (v.type == GgufType::kFloat32 || v.type == GgufType::kFloat64) return v.f;
  wrong_type(key, v, "float");
}

}  // namespace

const GgufValue* GgufFile::find(std::string_view key) const {
  auto it = metadata.find(key);
  return it == metadata.end() ? nullptr : &it->second;
}

#define HYDRA_GGUF_INT_GETTER(name, T, label)                       \
  T GgufFile::name(std::string_view key) const {                    \
    const GgufValue* v = find(key);                                 \
    if (v == nullptr) missing(key);                                 \
    return integer_as<T>(key, *v, label);                           \
  }                                                                 \
  T GgufFile::name(std::string_view key, T fallback) const {        \
    const GgufValue* v = find(key);                                 \
    return v == nullptr ? fallback : integer_as<T>(key, *v, label); \
  }

HYDRA_GGUF_INT_GETTER(get_u32, uint32_t, "an integer fitting uint32")
HYDRA_GGUF_INT_GETTER(get_i32, int32_t, "an integer fitting int32")
HYDRA_GGUF_INT_GETTER(get_u64, uint64_t, "an integer fitting uint64")
HYDRA_GGUF_INT_GETTER(get_i64, int64_t, "an integer fitting int64")
#undef HYDRA_GGUF_INT_GETTER

double GgufFile::get_f64(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) missing(key);
  return real_of(key, *v);
}

double GgufFile::get_f64(std::string_view key, double fallback) const {
  const GgufValue* v = find(key);
  return v == nullptr ? fallback : real_of(key, *v);
}

float GgufFile::get_f32(std::string_view key) const {
  return static_cast<float>(get_f64(key));
}

float GgufFile::get_f32(std::string_view key, float fallback) const {
  return static_cast<float>(get_f64(key, fallback));
}

bool GgufFile::get_bool(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) missing(key);
  if (v->type != GgufType::kBool) wrong_type(key, *v, "bool");
  return v->u != 0;
}

bool GgufFile::get_bool(std::string_view key, bool fallback) const {
  return has(key) ? get_bool(key) : fallback;
}

const std::string& GgufFile::get_str(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) missing(key);
  if (v->type != GgufType::kString) wrong_type(key, *v, "string");
  return v->str;
}

std::string GgufFile::get_str(std::string_view key, std::string_view fallback) const {
  return has(key) ? get_str(key) : std::string(fallback);
}

const std::vector<std::string>& GgufFile::get_arr_str(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) missing(key);
  if (!v->is_array() || v->elem_type != GgufType::kString) wrong_type(key, *v, "array of string");
  return v->strs;
}

std::vector<float> GgufFile::get_arr_f32(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) missing(key);
  if (!v->is_array() || gguf_scalar_size(v->elem_type) == 0 || v->elem_type == GgufType::kBool) {
    wrong_type(key, *v, "numeric array");
  }
  std::vector<float> out(v->size());
  for (size_t k = 0; k < out.size(); ++k) out[k] = static_cast<float>(v->number_at(k));
  return out;
}

std::vector<int32_t> GgufFile::get_arr_i32(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) missing(key);
  if (!v->is_array() || !(is_signed(v->elem_type) || is_unsigned(v->elem_type))) {
    wrong_type(key, *v, "integer array");
  }
  std::vector<int32_t> out(v->size());
  for (size_t k = 0; k < out.size(); ++k) {
    const int64_t x = v->int_at(k);
    if (x < INT32_MIN || x > INT32_MAX) wrong_type(key, *v, "integer array fitting int32");
    out[k] = static_cast<int32_t>(x);
  }
  return out;
}

size_t GgufFile::get_arr_size(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) missing(key);
  if (!v->is_array()) wrong_type(key, *v, "array");
  return v->size();
}

std::string GgufFile::architecture() const {
  return get_str("general.architecture", "");
}

const GgufTensor* GgufFile::find_tensor(std::string_view name) const {
  auto it = tensor_index.find(std::string(name));
  return it == tensor_index.end() ? nullptr : &tensors[it->second];
}

std::vector<float> tensor_to_f32(const GgufTensor& t) {
  if (!type_info(t.type).computable) {
    throw FormatError("gguf: tensor '" + t.name + "' has type " + std::string(type_name(t.type)) +
                      ", which this engine cannot compute with");
  }
  std::vector<float> out(static_cast<size_t>(t.n_elements()));
  const size_t stride = row_size(t.type, t.ne[0]);
  for (int64_t r = 0; r < t.n_rows(); ++r) {
    dequantize_row(t.type, t.data + r * stride, out.data() + r * t.ne[0], t.ne[0]);
  }
  return out;
}

}  // namespace hydra::engine
