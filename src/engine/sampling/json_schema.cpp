#include "engine/sampling/json_schema.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "common/error.h"

namespace hydra::engine {

namespace bj = boost::json;

namespace {

constexpr int kMaxNesting = 32;
constexpr size_t kMaxNodes = 4096;

const std::set<std::string_view>& annotations() {
  static const std::set<std::string_view> s = {"title",    "description", "default",  "examples",
                                               "$schema",  "$id",         "$comment", "deprecated",
                                               "readOnly", "writeOnly"};
  return s;
}

uint8_t type_bit(std::string_view name) {
  if (name == "object") return kJsonObject;
  if (name == "array") return kJsonArray;
  if (name == "string") return kJsonString;
  if (name == "number") return kJsonNumber;
  if (name == "integer") return kJsonInteger;
  if (name == "boolean") return kJsonBoolean;
  if (name == "null") return kJsonNull;
  return 0;
}

bool is_integral(const bj::value& v) {
  if (v.is_int64() || v.is_uint64()) return true;
  return v.is_double() && std::isfinite(v.get_double()) &&
         v.get_double() == std::floor(v.get_double());
}

bool has_type(const bj::value& v, uint8_t types) {
  switch (v.kind()) {
    case bj::kind::object:
      return types & kJsonObject;
    case bj::kind::array:
      return types & kJsonArray;
    case bj::kind::string:
      return types & kJsonString;
    case bj::kind::bool_:
      return types & kJsonBoolean;
    case bj::kind::null:
      return types & kJsonNull;
    default:
      return (types & kJsonNumber) || ((types & kJsonInteger) && is_integral(v));
  }
}

class Compiler {
 public:
  Compiler(JsonSchema& out, const std::string& param) : out_(out), param_(param) {}

  int32_t compile(const bj::value& schema, int depth, const std::string& where) {
    if (depth > kMaxNesting) fail(where, "nests deeper than " + std::to_string(kMaxNesting));
    if (schema.is_bool()) {
      if (!schema.get_bool()) fail(where, "is false: no value can match it");
      return JsonSchema::kAny;
    }
    if (!schema.is_object()) fail(where, "must be an object");
    const bj::object& o = schema.as_object();
    for (const auto& kv : o) check_keyword(kv.key(), where);
    const int32_t id = new_node();
    SchemaNode node;
    node.types = read_types(o, where);
    read_literals(o, node, where);
    if (node.literals.empty()) {
      read_object(o, node, depth, where);
      read_items(o, node, depth, where);
    }
    node.shortest = shortest_of(node);
    out_.nodes[id] = std::move(node);
    return id;
  }

 private:
  [[noreturn]] void fail(const std::string& where, const std::string& what) const {
    throw_param("JSON schema: " + where + " " + what, param_);
  }

  int32_t new_node() {
    if (out_.nodes.size() >= kMaxNodes) fail("the schema", "has too many subschemas");
    out_.nodes.emplace_back();
    return static_cast<int32_t>(out_.nodes.size() - 1);
  }

  void check_keyword(std::string_view key, const std::string& where) const {
    static const std::set<std::string_view> known = {
        "type", "properties", "required", "enum", "const", "items", "additionalProperties"};
    if (known.count(key) || annotations().count(key)) return;
    fail(where, "uses '" + std::string(key) +
                    "', which is not supported (supported: type, properties, required, enum, "
                    "const, items, additionalProperties: false)");
  }

  uint8_t read_types(const bj::object& o, const std::string& where) const {
    const bj::value* t = o.if_contains("type");
    if (!t) return kJsonAnyType;
    uint8_t types = 0;
    auto add = [&](const bj::value& name) {
      const uint8_t bit = name.is_string() ? type_bit(name.get_string()) : 0;
      if (bit == 0) fail(where, "has an unknown type " + bj::serialize(name));
      types |= bit;
    };
    if (t->is_array()) {
      for (const auto& name : t->get_array()) add(name);
    } else {
      add(*t);
    }
    if (types == 0) fail(where, "has an empty type list");
    return types;
  }

  void read_literals(const bj::object& o, SchemaNode& node, const std::string& where) const {
    std::vector<const bj::value*> values;
    if (const bj::value* c = o.if_contains("const")) values.push_back(c);
    if (const bj::value* e = o.if_contains("enum")) {
      if (!e->is_array() || e->get_array().empty()) fail(where, "has an empty or non-list enum");
      if (!values.empty()) fail(where, "has both const and enum");
      for (const auto& v : e->get_array()) values.push_back(&v);
    }
    if (values.empty()) return;
    if (values.size() > JsonSchema::kMaxChoices)
      fail(where, "has more than " + std::to_string(JsonSchema::kMaxChoices) + " enum values");
    for (const bj::value* v : values) {
      if (!has_type(*v, node.types)) continue;
      std::string text = bj::serialize(*v);
      if (std::find(node.literals.begin(), node.literals.end(), text) == node.literals.end())
        node.literals.push_back(std::move(text));
    }
    if (node.literals.empty()) fail(where, "has no enum value of its type");
  }

  void read_object(const bj::object& o, SchemaNode& node, int depth, const std::string& where) {
    if (const bj::value* ap = o.if_contains("additionalProperties")) {
      if (!ap->is_bool())
        fail(where, "uses a schema for additionalProperties; only true or false is supported");
      node.open = ap->get_bool();
    }
    if (const bj::value* props = o.if_contains("properties")) {
      if (!props->is_object()) fail(where, "has properties that are not an object");
      if (props->get_object().size() > JsonSchema::kMaxChoices)
        fail(where, "has more than " + std::to_string(JsonSchema::kMaxChoices) + " properties");
      for (const auto& kv : props->get_object()) {
        SchemaProperty p;
        p.key = bj::serialize(bj::value(kv.key()));
        p.node = compile(kv.value(), depth + 1, where + ".properties." + std::string(kv.key()));
        node.properties.push_back(std::move(p));
      }
    }
    const bj::value* req = o.if_contains("required");
    if (!req) return;
    if (!req->is_array()) fail(where, "has a required list that is not a list");
    for (const auto& name : req->get_array()) {
      if (!name.is_string()) fail(where, "has a required entry that is not a string");
      const std::string key = bj::serialize(name);
      auto it = std::find_if(node.properties.begin(), node.properties.end(),
                             [&](const SchemaProperty& p) { return p.key == key; });
      if (it == node.properties.end()) {
        // Required but not described: any value, unless no other keys are allowed.
        if (!node.open)
          fail(where, "requires " + key + ", which additionalProperties: false forbids");
        if (node.properties.size() >= JsonSchema::kMaxChoices)
          fail(where, "has too many properties");
        node.properties.push_back({key, JsonSchema::kAny, true});
      } else {
        it->required = true;
      }
    }
  }

  void read_items(const bj::object& o, SchemaNode& node, int depth, const std::string& where) {
    const bj::value* items = o.if_contains("items");
    if (items) node.items = compile(*items, depth + 1, where + ".items");
  }

  std::string shortest_of(const SchemaNode& n) const {
    if (!n.literals.empty()) {
      return *std::min_element(n.literals.begin(), n.literals.end(),
                               [](const auto& a, const auto& b) { return a.size() < b.size(); });
    }
    std::vector<std::string> options;
    if (n.types & (kJsonNumber | kJsonInteger)) options.emplace_back("0");
    if (n.types & kJsonString) options.emplace_back("\"\"");
    if (n.types & kJsonArray) options.emplace_back("[]");
    if (n.types & kJsonNull) options.emplace_back("null");
    if (n.types & kJsonBoolean) options.emplace_back("true");
    if (n.types & kJsonObject) {
      std::string o = "{";
      for (const SchemaProperty& p : n.properties) {
        if (!p.required) continue;
        if (o.size() > 1) o += ',';
        o += p.key + ":" + out_.nodes[p.node].shortest;
      }
      options.push_back(o + "}");
    }
    return *std::min_element(options.begin(), options.end(),
                             [](const auto& a, const auto& b) { return a.size() < b.size(); });
  }

  JsonSchema& out_;
  const std::string& param_;
};

}  // namespace

std::shared_ptr<const JsonSchema> compile_json_schema(const bj::value& schema,
                                                      const std::string& param) {
  auto out = std::make_shared<JsonSchema>();
  SchemaNode any;
  any.shortest = "0";
  out->nodes.push_back(std::move(any));
  Compiler c(*out, param);
  out->root = c.compile(schema, 0, "the schema");
  return out;
}

}  // namespace hydra::engine
