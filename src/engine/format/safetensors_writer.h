#pragma once
// safetensors writer: header padded to 8 bytes, tensors packed in the order
// added. Used for test models and conversions.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/format/safetensors.h"

namespace hydra::engine {

class SafetensorsWriter {
 public:
  void set_metadata(const std::string& key, const std::string& value) { metadata_[key] = value; }
  // `data` must hold exactly shape-product x dtype-size bytes; copied.
  void add_tensor(const std::string& name, StDtype dtype, const std::vector<int64_t>& shape,
                  const void* data, size_t nbytes);
  void add_f32(const std::string& name, const std::vector<int64_t>& shape,
               const std::vector<float>& values);

  std::vector<uint8_t> to_bytes() const;
  void write_file(const std::string& path) const;
  // Splits the tensors over `n_shards` files named model-0000i-of-0000n
  // .safetensors in `dir`, plus model.safetensors.index.json.
  void write_sharded(const std::string& dir, int n_shards) const;

 private:
  struct Tensor {
    std::string name;
    StDtype dtype;
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes;
  };
  std::map<std::string, std::string> metadata_;
  std::vector<Tensor> tensors_;
};

}  // namespace hydra::engine
