#pragma once
// Lenient, bounded reading of YAML trees from outside. Keys match ignoring
// case, '_' and '-' ("maxTokens" = "max_tokens"); numbers may be written as
// strings; every node visited and every 16 bytes of text read are charged
// to a budget, so aliases that fan out ("billion laughs") cannot make
// reading explode in time or memory.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hydra::catalog {

class YamlReader {
 public:
  explicit YamlReader(size_t budget = 2'000'000) : left_(budget) {}

  // The value under `key` in a mapping, if any (nullopt for non-mappings).
  std::optional<YAML::Node> child(const YAML::Node& map, std::string_view key);
  // The first of several spellings that is present.
  std::optional<YAML::Node> child_any(const YAML::Node& map,
                                      std::initializer_list<std::string_view> keys);
  // Scalar text, trimmed; "" for anything else.
  std::string text(const std::optional<YAML::Node>& n);
  // A number from a scalar: 8, "8", " 8.5 ", "16Gi", "16GB"; nullopt otherwise.
  std::optional<double> number(const std::optional<YAML::Node>& n);
  // Scalars of a sequence (at most `max` of them); a lone scalar is a list of one.
  std::vector<std::string> strings(const std::optional<YAML::Node>& n, size_t max);
  // The elements of a sequence, at most `max`.
  std::vector<YAML::Node> elements(const YAML::Node& n, size_t max);
  // Key/value pairs of a mapping with scalar keys, at most `max`.
  std::vector<std::pair<std::string, YAML::Node>> entries(const YAML::Node& n, size_t max);

  // Charges one node; throws hydra::ApiError(PARAM_ERROR) once the budget is spent.
  void spend(size_t n = 1);

 private:
  size_t left_;
};

bool is_map(const std::optional<YAML::Node>& n);
bool is_seq(const std::optional<YAML::Node>& n);
bool is_scalar(const std::optional<YAML::Node>& n);

}  // namespace hydra::catalog
