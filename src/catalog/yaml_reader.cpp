#include "catalog/yaml_reader.h"

#include <cctype>
#include <charconv>
#include <cmath>

#include "common/error.h"
#include "common/strings.h"

namespace hydra::catalog {
namespace {

bool same_key(std::string_view a, std::string_view b) {
  auto skip = [](char c) { return c == '_' || c == '-'; };
  size_t i = 0, j = 0;
  while (true) {
    while (i < a.size() && skip(a[i])) ++i;
    while (j < b.size() && skip(b[j])) ++j;
    if (i == a.size() || j == b.size()) return i == a.size() && j == b.size();
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[j]))) {
      return false;
    }
    ++i;
    ++j;
  }
}

}  // namespace

bool is_map(const std::optional<YAML::Node>& n) {
  return n && n->IsMap();
}
bool is_seq(const std::optional<YAML::Node>& n) {
  return n && n->IsSequence();
}
bool is_scalar(const std::optional<YAML::Node>& n) {
  return n && n->IsScalar();
}

void YamlReader::spend(size_t n) {
  if (n > left_) {
    left_ = 0;
    throw_param("the document is too large or too deeply aliased to import");
  }
  left_ -= n;
}

std::optional<YAML::Node> YamlReader::child(const YAML::Node& map, std::string_view key) {
  if (!map.IsMap()) return std::nullopt;
  for (auto it = map.begin(); it != map.end(); ++it) {
    spend();
    if (it->first.IsScalar() && same_key(it->first.Scalar(), key)) return it->second;
  }
  return std::nullopt;
}

std::optional<YAML::Node> YamlReader::child_any(const YAML::Node& map,
                                                std::initializer_list<std::string_view> keys) {
  for (auto key : keys) {
    if (auto n = child(map, key)) return n;
  }
  return std::nullopt;
}

std::string YamlReader::text(const std::optional<YAML::Node>& n) {
  if (!is_scalar(n)) return {};
  // Text is charged by size too: one aliased long scalar read a million
  // times must not become a million copies.
  spend(1 + n->Scalar().size() / 16);
  return trim(n->Scalar());
}

std::optional<double> YamlReader::number(const std::optional<YAML::Node>& n) {
  std::string s = text(n);
  if (s.empty()) return std::nullopt;
  // Units people add to sizes that the schema counts in GB.
  for (std::string_view unit : {"GiB", "GB", "Gi", "G", "gib", "gb", "gi", "g"}) {
    if (s.size() > unit.size() && s.ends_with(unit)) {
      s = trim(s.substr(0, s.size() - unit.size()));
      break;
    }
  }
  if (!s.empty() && s[0] == '+') s.erase(0, 1);
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::vector<std::string> YamlReader::strings(const std::optional<YAML::Node>& n, size_t max) {
  std::vector<std::string> out;
  if (is_scalar(n)) {
    out.push_back(text(n));
    return out;
  }
  if (!is_seq(n)) return out;
  for (const auto& item : elements(*n, max)) {
    if (item.IsScalar()) out.push_back(text(item));
  }
  return out;
}

std::vector<YAML::Node> YamlReader::elements(const YAML::Node& n, size_t max) {
  std::vector<YAML::Node> out;
  if (!n.IsSequence()) return out;
  for (auto it = n.begin(); it != n.end() && out.size() < max; ++it) {
    spend();
    out.push_back(*it);
  }
  return out;
}

std::vector<std::pair<std::string, YAML::Node>> YamlReader::entries(const YAML::Node& n,
                                                                    size_t max) {
  std::vector<std::pair<std::string, YAML::Node>> out;
  if (!n.IsMap()) return out;
  for (auto it = n.begin(); it != n.end() && out.size() < max; ++it) {
    spend();
    if (it->first.IsScalar()) out.emplace_back(it->first.Scalar(), it->second);
  }
  return out;
}

}  // namespace hydra::catalog
