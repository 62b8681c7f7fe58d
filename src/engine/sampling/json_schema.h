#pragma once
// The subset of JSON Schema that constrained decoding follows
// (`response_format: {"type": "json_schema", ...}`), compiled into plain
// nodes: type (one or a list of object, array, string, number, integer,
// boolean, null), properties, required, enum, const, items and
// additionalProperties (a boolean). Annotations (title, description,
// default, examples, $schema, ...) are ignored; any other keyword is refused
// with a 400 naming it, rather than silently not enforced.
//
// What decoding produces is a subset of the instances the schema allows,
// chosen so every state has a short way to finish: objects that declare
// properties get them in declared order (optional ones may be left out,
// required ones never are) and no other keys; no whitespace except one
// space after ':' and ','.
#include <boost/json.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hydra::engine {

// Bits of SchemaNode::types.
enum JsonTypeBit : uint8_t {
  kJsonObject = 1,
  kJsonArray = 2,
  kJsonString = 4,
  kJsonNumber = 8,
  kJsonInteger = 16,  // a number without fraction or exponent
  kJsonBoolean = 32,
  kJsonNull = 64,
  kJsonAnyType = 127,
};

struct SchemaProperty {
  std::string key;  // the key as JSON text, quotes included
  int32_t node = 0;
  bool required = false;
};

struct SchemaNode {
  uint8_t types = kJsonAnyType;
  // enum / const: the allowed values as compact JSON text (then only these).
  std::vector<std::string> literals;
  // Objects: the declared properties in order. With none, `open` says
  // whether any keys (with any values) may appear, or only `{}`.
  std::vector<SchemaProperty> properties;
  bool open = true;
  int32_t items = 0;     // arrays: the items' node (0: any value)
  std::string shortest;  // the shortest value this node accepts
};

struct JsonSchema {
  static constexpr int32_t kAny = 0;         // nodes[0] accepts any JSON value
  static constexpr size_t kMaxChoices = 64;  // enum values, properties per object
  std::vector<SchemaNode> nodes;
  int32_t root = kAny;
};

// Throws ApiError PARAM_ERROR naming `param` and the offending keyword.
std::shared_ptr<const JsonSchema> compile_json_schema(const boost::json::value& schema,
                                                      const std::string& param);

}  // namespace hydra::engine
