#pragma once
// Access to the reference vocabularies under the test data directory: each
// ggml-vocab-<name>.gguf has <file>.inp (inputs separated by a marker line)
// and <file>.out (one line of expected ids per input).
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "engine/format/gguf.h"
#include "engine/tokenizer/gguf_vocab.h"
#include "engine/tokenizer/tokenizer.h"

namespace hydra::engine::testing {

inline std::filesystem::path vocab_dir() {
  return std::filesystem::path(HYDRA_TESTDATA_DIR) / "vocab";
}

inline std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Vocabulary names ("gpt-2", "llama-spm", ...) that have a .inp/.out pair.
inline std::vector<std::string> vocab_names() {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(vocab_dir())) {
    std::string f = e.path().filename().string();
    const std::string prefix = "ggml-vocab-", suffix = ".gguf";
    if (f.rfind(prefix, 0) == 0 && f.size() > prefix.size() + suffix.size() &&
        f.compare(f.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        std::filesystem::exists(e.path().string() + ".inp")) {
      names.push_back(f.substr(prefix.size(), f.size() - prefix.size() - suffix.size()));
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

inline std::filesystem::path vocab_path(const std::string& name) {
  return vocab_dir() / ("ggml-vocab-" + name + ".gguf");
}

// Loaded once per process: several tests share each vocabulary.
inline const Tokenizer& tokenizer_for(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    GgufFile file = read_gguf(vocab_path(name).string());
    it = cache.emplace(name, std::make_unique<Tokenizer>(vocab_from_gguf(file))).first;
  }
  return *it->second;
}

struct VocabCase {
  std::string input;
  std::vector<int32_t> expected;
};

inline std::vector<VocabCase> vocab_cases(const std::string& name) {
  const std::string marker = "\n__ggml_vocab_test__\n";
  std::string inp = read_all(vocab_path(name).string() + ".inp");
  std::string out = read_all(vocab_path(name).string() + ".out");
  std::vector<std::string> inputs;
  size_t pos = 0;
  while (pos < inp.size()) {
    size_t next = inp.find(marker, pos);
    if (next == std::string::npos) next = inp.size();
    inputs.push_back(inp.substr(pos, next - pos));
    pos = next + marker.size();
  }
  std::vector<VocabCase> cases;
  std::istringstream lines(out);
  std::string line;
  size_t k = 0;
  while (std::getline(lines, line) && k < inputs.size()) {
    VocabCase c{inputs[k++], {}};
    std::istringstream ids(line);
    int32_t id;
    while (ids >> id) c.expected.push_back(id);
    cases.push_back(std::move(c));
  }
  return cases;
}

}  // namespace hydra::engine::testing
