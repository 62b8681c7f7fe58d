#pragma once
// Hugging Face safetensors: an 8-byte little-endian header length, a JSON
// header {name: {dtype, shape, data_offsets}, "__metadata__": {..}}, then the
// data. Single files and sharded sets (model.safetensors.index.json) are read
// by mmap; every offset is checked against the file before use.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/format/mapped_file.h"

namespace hydra::engine {

enum class StDtype {
  kBool,
  kU8,
  kI8,
  kI16,
  kU16,
  kF16,
  kBF16,
  kI32,
  kU32,
  kF32,
  kF64,
  kI64,
  kU64,
  kF8E4M3,
  kF8E5M2,
};

const char* st_dtype_name(StDtype dtype);
size_t st_dtype_size(StDtype dtype);

struct SafetensorsTensor {
  std::string name;
  StDtype dtype = StDtype::kF32;
  std::vector<int64_t> shape;  // row-major, outermost first (PyTorch order)
  uint64_t begin = 0;          // offsets within the data section
  uint64_t end = 0;
  const uint8_t* data = nullptr;

  uint64_t nbytes() const { return end - begin; }
  int64_t n_elements() const;
};

struct SafetensorsFile {
  std::map<std::string, std::string> metadata;  // "__metadata__"
  std::vector<SafetensorsTensor> tensors;       // in data order
  std::unordered_map<std::string, size_t> index;
  const uint8_t* data = nullptr;  // start of the data section
  uint64_t data_size = 0;
  std::shared_ptr<const MappedFile> mapping;  // null for caller buffers

  const SafetensorsTensor* find(std::string_view name) const;
};

// Parses bytes in memory (tensors point into `bytes`). Throws FormatError.
SafetensorsFile parse_safetensors(const uint8_t* bytes, size_t size,
                                  std::string what = "safetensors");
SafetensorsFile read_safetensors(const std::string& path);

// A model's weights across one or more files.
struct SafetensorsModel {
  std::vector<SafetensorsFile> shards;
  std::vector<std::string> shard_names;  // file names, parallel to `shards`
  std::unordered_map<std::string, std::pair<size_t, size_t>> index;  // name -> (shard, tensor)

  const SafetensorsTensor* find(std::string_view name) const;
  size_t size() const { return index.size(); }
};

// Reads `dir`/model.safetensors.index.json and every shard it names, or
// `dir`/model.safetensors when there is no index. Every tensor the index
// names must exist in its shard; a name in two shards is an error.
SafetensorsModel read_safetensors_dir(const std::string& dir);

// A tensor's elements as floats (F32, F16, BF16 only; others throw).
std::vector<float> tensor_to_f32(const SafetensorsTensor& t);

}  // namespace hydra::engine
