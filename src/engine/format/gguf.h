#pragma once
// GGUF v2/v3 reader. The file is mapped (or the caller's buffer is used in
// place); metadata is decoded into plain values, the tensor index into plain
// records whose `data` points into the mapping. Everything is bounds-checked:
// a truncated or hostile file throws FormatError.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/format/ggml_types.h"
#include "engine/format/mapped_file.h"

namespace hydra::engine {

// Value types as numbered in the GGUF specification.
enum class GgufType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

const char* gguf_type_name(GgufType type);
// Bytes of one scalar element; 0 for string and array.
size_t gguf_scalar_size(GgufType type);

// One metadata value. Scalars live in the member that fits their type;
// arrays keep their elements compactly by element type.
struct GgufValue {
  GgufType type = GgufType::kUint8;
  uint64_t u = 0;  // uint8..uint64 and bool (0/1)
  int64_t i = 0;   // int8..int64
  double f = 0;    // float32/float64 (float32 widened exactly)
  std::string str;

  GgufType elem_type = GgufType::kUint8;  // arrays only
  std::vector<uint8_t> raw;               // numeric/bool elements, little-endian as in the file
  std::vector<std::string> strs;          // string elements
  std::vector<GgufValue> items;           // array elements (nested arrays)

  bool is_array() const { return type == GgufType::kArray; }
  // Element count of an array (0 for a scalar).
  size_t size() const;
  // Element k of a numeric array, converted; throws FormatError if out of range.
  double number_at(size_t k) const;
  int64_t int_at(size_t k) const;

  static GgufValue of_u8(uint8_t v);
  static GgufValue of_i8(int8_t v);
  static GgufValue of_u16(uint16_t v);
  static GgufValue of_i16(int16_t v);
  static GgufValue of_u32(uint32_t v);
  static GgufValue of_i32(int32_t v);
  static GgufValue of_u64(uint64_t v);
  static GgufValue of_i64(int64_t v);
  static GgufValue of_f32(float v);
  static GgufValue of_f64(double v);
  static GgufValue of_bool(bool v);
  static GgufValue of_str(std::string v);
  static GgufValue of_arr_str(std::vector<std::string> v);
  static GgufValue of_arr_f32(const std::vector<float>& v);
  static GgufValue of_arr_i32(const std::vector<int32_t>& v);
  // A numeric or bool array of `elem` from raw little-endian bytes.
  static GgufValue of_arr_raw(GgufType elem, std::vector<uint8_t> bytes);
  static GgufValue of_arr_nested(std::vector<GgufValue> arrays);
};

constexpr int kGgufMaxDims = 4;
constexpr uint32_t kGgufDefaultAlignment = 32;

struct GgufTensor {
  std::string name;
  uint32_t n_dims = 0;
  int64_t ne[kGgufMaxDims] = {1, 1, 1, 1};  // ggml order: ne[0] is the contiguous row
  GgmlType type = GgmlType::kF32;
  uint64_t offset = 0;  // from the start of the data section
  uint64_t nbytes = 0;
  const uint8_t* data = nullptr;

  int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
  int64_t n_rows() const { return ne[1] * ne[2] * ne[3]; }
};

struct GgufFile {
  uint32_t version = 3;
  uint32_t alignment = kGgufDefaultAlignment;
  std::map<std::string, GgufValue, std::less<>> metadata;
  std::vector<GgufTensor> tensors;
  uint64_t data_offset = 0;  // file offset of the data section
  const uint8_t* data = nullptr;
  uint64_t data_size = 0;                     // bytes from data_offset to the end of the file
  std::shared_ptr<const MappedFile> mapping;  // keeps `data` valid; null for caller buffers

  const GgufValue* find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key) != nullptr; }

  // Typed accessors. Integers convert between widths when the value fits;
  // a missing key or a wrong type throws FormatError naming the key.
  uint32_t get_u32(std::string_view key) const;
  uint32_t get_u32(std::string_view key, uint32_t fallback) const;
  int32_t get_i32(std::string_view key) const;
  int32_t get_i32(std::string_view key, int32_t fallback) const;
  uint64_t get_u64(std::string_view key) const;
  uint64_t get_u64(std::string_view key, uint64_t fallback) const;
  int64_t get_i64(std::string_view key) const;
  int64_t get_i64(std::string_view key, int64_t fallback) const;
  float get_f32(std::string_view key) const;
  float get_f32(std::string_view key, float fallback) const;
  double get_f64(std::string_view key) const;
  double get_f64(std::string_view key, double fallback) const;
  bool get_bool(std::string_view key) const;
  bool get_bool(std::string_view key, bool fallback) const;
  const std::string& get_str(std::string_view key) const;
  std::string get_str(std::string_view key, std::string_view fallback) const;
  const std::vector<std::string>& get_arr_str(std::string_view key) const;
  std::vector<float> get_arr_f32(std::string_view key) const;
  std::vector<int32_t> get_arr_i32(std::string_view key) const;
  size_t get_arr_size(std::string_view key) const;

  // "general.architecture", or "" when absent.
  std::string architecture() const;

  const GgufTensor* find_tensor(std::string_view name) const;
  std::unordered_map<std::string, size_t> tensor_index;  // name -> position in `tensors`
};

// A tensor's elements as floats, dequantized row by row (computable types
// only; others throw FormatError).
std::vector<float> tensor_to_f32(const GgufTensor& t);

// Maps and parses a file. Throws FormatError on any defect.
GgufFile read_gguf(const std::string& path);
// Parses bytes in memory; the returned tensors point into `bytes`, which the
// caller keeps alive. `what` names the source in error messages.
GgufFile parse_gguf(const uint8_t* bytes, size_t size, std::string what = "gguf");

}  // namespace hydra::engine
