#include "catalog/json_columns.h"

#include "common/error.h"
#include "common/json.h"

namespace hydra::catalog {
namespace {

bj::value read_value(std::string_view text) {
  if (text.empty()) return nullptr;
  boost::system::error_code ec;
  bj::value v = bj::parse(text, ec);
  if (ec) return nullptr;
  return v;
}

}  // namespace

bj::array read_array(std::string_view text) {
  bj::value v = read_value(text);
  return v.is_array() ? v.get_array() : bj::array{};
}

bj::object read_object(std::string_view text) {
  bj::value v = read_value(text);
  return v.is_object() ? v.get_object() : bj::object{};
}

std::vector<std::string> read_string_list(std::string_view text) {
  std::vector<std::string> out;
  for (const auto& item : read_array(text)) {
    if (item.is_string()) out.emplace_back(item.get_string());
  }
  return out;
}

std::map<std::string, std::string> read_string_map(std::string_view text) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : read_object(text)) {
    if (v.is_string()) out[std::string(k)] = std::string(v.get_string());
  }
  return out;
}

bj::array to_json(const std::vector<std::string>& list) {
  bj::array a;
  for (const auto& s : list) a.emplace_back(s);
  return a;
}

bj::object to_json(const std::map<std::string, std::string>& map) {
  bj::object o;
  for (const auto& [k, v] : map) o[k] = v;
  return o;
}

std::vector<std::string> decode_string_list(const bj::value& v, const std::string& param) {
  if (!v.is_array()) throw_param("'" + param + "' must be an array of strings", param);
  std::vector<std::string> out;
  for (const auto& item : v.get_array()) {
    if (!item.is_string()) throw_param("'" + param + "' must be an array of strings", param);
    out.emplace_back(item.get_string());
  }
  return out;
}

std::map<std::string, std::string> decode_string_map(const bj::value& v, const std::string& param) {
  if (!v.is_object()) throw_param("'" + param + "' must be an object of strings", param);
  std::map<std::string, std::string> out;
  for (const auto& [k, item] : v.get_object()) {
    if (!item.is_string()) {
      throw_param("'" + param + "." + std::string(k) + "' must be a string",
                  param + "." + std::string(k));
    }
    out[std::string(k)] = std::string(item.get_string());
  }
  return out;
}

bj::object to_json(const Localized& l) {
  return {{"enUS", l.en_us}, {"zhCN", l.zh_cn}};
}

Localized decode_localized(const bj::value& v, const std::string& param) {
  json::Fields f(v, param);
  Localized l;
  l.en_us = f.opt_str("enUS").value_or("");
  l.zh_cn = f.opt_str("zhCN").value_or("");
  f.done();
  return l;
}

}  // namespace hydra::catalog
