#pragma once
// A read-only memory mapping of a whole file. Weights are used in place from
// the mapping, so loading a model costs page faults, not copies.
#include <cstddef>
#include <cstdint>
#include <string>

namespace hydra::engine {

class MappedFile {
 public:
  // Throws FormatError when the file cannot be opened or mapped.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace hydra::engine
