#pragma once
// Test models written once per test binary into a temporary directory.
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "engine/model/test_model.h"

namespace hydra::engine::test {

inline std::string vocab_file(const std::string& name) {
  return std::string(HYDRA_TESTDATA_DIR) + "/vocab/ggml-vocab-" + name + ".gguf";
}

inline const std::string& scratch_dir() {
  // Never destroyed: the atexit handler below runs after static destructors.
  static const std::string* dir = [] {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "hydra-model-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    std::atexit([] { std::filesystem::remove_all(scratch_dir()); });
    return new std::string(pattern);
  }();
  return *dir;
}

// Writes the model (once per name and format) and returns its path.
inline std::string test_model(const std::string& name, const TestModelOptions& o,
                              TestModelFormat format = TestModelFormat::kGguf) {
  static std::map<std::string, std::string> made;
  const std::string key = name + (format == TestModelFormat::kGguf ? ".gguf" : ".hf");
  auto it = made.find(key);
  if (it != made.end()) return it->second;
  const std::string path = scratch_dir() + "/" + key;
  make_test_model(path, o, format);
  made[key] = path;
  return path;
}

}  // namespace hydra::engine::test
