#pragma once
// GGUF v3 writer: metadata of every type in insertion order, then the tensor
// index, then tensor data, each tensor aligned to general.alignment. Used to
// write test models and to convert formats.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/format/gguf.h"

namespace hydra::engine {

class GgufWriter {
 public:
  // Setting a key twice replaces the first value (keeping its position).
  void set(const std::string& key, GgufValue value);
  void set_u32(const std::string& key, uint32_t v) { set(key, GgufValue::of_u32(v)); }
  void set_i32(const std::string& key, int32_t v) { set(key, GgufValue::of_i32(v)); }
  void set_u64(const std::string& key, uint64_t v) { set(key, GgufValue::of_u64(v)); }
  void set_f32(const std::string& key, float v) { set(key, GgufValue::of_f32(v)); }
  void set_bool(const std::string& key, bool v) { set(key, GgufValue::of_bool(v)); }
  void set_str(const std::string& key, std::string v) { set(key, GgufValue::of_str(std::move(v))); }
  void set_arr_str(const std::string& key, std::vector<std::string> v) {
    set(key, GgufValue::of_arr_str(std::move(v)));
  }
  void set_arr_f32(const std::string& key, const std::vector<float>& v) {
    set(key, GgufValue::of_arr_f32(v));
  }
  void set_arr_i32(const std::string& key, const std::vector<int32_t>& v) {
    set(key, GgufValue::of_arr_i32(v));
  }
  // Power of two; written as general.alignment (uint32) when not the default.
  void set_alignment(uint32_t alignment);

  // `ne` in ggml order (ne[0] = row length); `data` must hold exactly the
  // bytes the type and shape need. The bytes are copied.
  void add_tensor(const std::string& name, GgmlType type, const std::vector<int64_t>& ne,
                  const void* data, size_t nbytes);

  std::vector<uint8_t> to_bytes() const;
  // Writes to a temporary name and renames, so readers never see half a file.
  void write_file(const std::string& path) const;

 private:
  struct Tensor {
    std::string name;
    GgmlType type;
    std::vector<int64_t> ne;
    std::vector<uint8_t> bytes;
  };
  std::vector<std::pair<std::string, GgufValue>> kv_;
  std::vector<Tensor> tensors_;
  uint32_t alignment_ = kGgufDefaultAlignment;
};

}  // namespace hydra::engine
