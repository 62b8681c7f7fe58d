#pragma once
// A structural OpenAPI v3 checker for the Kubernetes objects the
// Kubernetes backend renders, as the API server checks them: types,
// required fields, enums, patterns, int32 ranges, int-or-string, and no
// field the schema does not know (pruning would drop it silently, so a
// rendered field outside the schema is a bug). Test support only.
#include <boost/json.hpp>
#include <regex>
#include <string>
#include <vector>

namespace hydra::deploy::testing {

namespace bj = boost::json;

inline void check_schema(const bj::value& v, const bj::object& s, const std::string& at,
                         std::vector<std::string>& errors) {
  auto err = [&](const std::string& what) { errors.push_back(at + ": " + what); };
  if (auto* f = s.if_contains("x-kubernetes-int-or-string"); f && f->as_bool()) {
    if (!v.is_int64() && !v.is_uint64() && !v.is_string()) err("must be an integer or a string");
    if (auto* p = s.if_contains("pattern");
        p && v.is_string() &&
        !std::regex_search(std::string(v.as_string()), std::regex(std::string(p->as_string()))))
      err("does not match " + std::string(p->as_string()));
    return;
  }
  std::string type = s.contains("type") ? std::string(s.at("type").as_string()) : "";
  if (type == "object") {
    if (!v.is_object()) return err("must be an object");
    const auto& o = v.as_object();
    if (auto* req = s.if_contains("required")) {
      for (const auto& k : req->as_array()) {
        if (!o.contains(k.as_string())) err("missing required field " + std::string(k.as_string()));
      }
    }
    const bj::object* props = s.contains("properties") ? &s.at("properties").as_object() : nullptr;
    const bj::value* extra = s.if_contains("additionalProperties");
    bool keep_unknown = s.contains("x-kubernetes-preserve-unknown-fields");
    for (const auto& kv : o) {
      std::string key(kv.key());
      if (props && props->contains(key)) {
        check_schema(kv.value(), props->at(key).as_object(), at + "." + key, errors);
      } else if (extra && extra->is_object()) {
        check_schema(kv.value(), extra->as_object(), at + "." + key, errors);
      } else if (!keep_unknown && props) {
        err("unknown field " + key);  // an object with no properties listed is free-form
      }
    }
    return;
  }
  if (type == "array") {
    if (!v.is_array()) return err("must be an array");
    size_t i = 0;
    for (const auto& item : v.as_array()) {
      check_schema(item, s.at("items").as_object(), at + "[" + std::to_string(i++) + "]", errors);
    }
    return;
  }
  if (type == "string") {
    if (!v.is_string()) return err("must be a string");
    std::string text(v.as_string());
    if (auto* e = s.if_contains("enum")) {
      bool found = false;
      for (const auto& x : e->as_array()) found |= x.as_string() == text;
      if (!found) err("'" + text + "' is not one of the allowed values");
    }
    if (auto* p = s.if_contains("pattern");
        p && !std::regex_search(text, std::regex(std::string(p->as_string())))) {
      err("'" + text + "' does not match " + std::string(p->as_string()));
    }
    if (auto* m = s.if_contains("maxLength"); m && text.size() > m->to_number<size_t>())
      err("longer than " + std::to_string(m->to_number<size_t>()));
    return;
  }
  if (type == "integer") {
    if (!v.is_int64() && !v.is_uint64()) return err("must be an integer");
    int64_t n = v.to_number<int64_t>();
    if (auto* f = s.if_contains("format");
        f && f->as_string() == "int32" && (n < INT32_MIN || n > INT32_MAX))
      err("out of int32 range");
    if (auto* m = s.if_contains("minimum"); m && n < m->to_number<int64_t>()) err("below minimum");
    return;
  }
  if (type == "boolean" && !v.is_bool()) return err("must be a boolean");
  if (type == "number" && !v.is_number()) return err("must be a number");
}

inline std::vector<std::string> schema_errors(const bj::value& v, const bj::value& schema) {
  std::vector<std::string> errors;
  check_schema(v, schema.as_object(), "$", errors);
  return errors;
}

}  // namespace hydra::deploy::testing
