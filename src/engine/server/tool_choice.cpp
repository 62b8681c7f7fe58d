#include "engine/server/tool_choice.h"

#include "common/error.h"

namespace hydra::engine {

namespace bj = boost::json;

namespace {

const char* kParam = "tool_choice";

// {"type": "function", "function": {"name": .., "parameters": ..}} -> name.
const bj::object* function_of(const bj::value& tool) {
  if (!tool.is_object()) return nullptr;
  const bj::value* fn = tool.as_object().if_contains("function");
  return fn && fn->is_object() ? &fn->as_object() : nullptr;
}

std::string name_of(const bj::object& fn) {
  const bj::value* n = fn.if_contains("name");
  return n && n->is_string() ? std::string(n->as_string()) : std::string();
}

// The tool's parameters when the supported subset covers them; a client's
// schema often carries keywords (minimum, format, ...) that are not
// enforced, and then any object is allowed rather than refusing the call.
bj::value arguments_schema(const bj::object& fn) {
  const bj::value* params = fn.if_contains("parameters");
  if (params) {
    try {
      compile_json_schema(*params, kParam);
      return *params;
    } catch (const ApiError&) {
    }
  }
  return bj::object{{"type", "object"}};
}

bj::value call_schema(bj::value name, bj::value arguments) {
  return bj::object{
      {"type", "object"},
      {"properties", bj::object{{"name", std::move(name)}, {"arguments", std::move(arguments)}}},
      {"required", bj::array{"name", "arguments"}},
      {"additionalProperties", false}};
}

}  // namespace

std::shared_ptr<const JsonSchema> forced_tool_call_schema(const bj::value* choice,
                                                          const bj::value& tools) {
  if (!choice || choice->is_null()) return nullptr;
  if (choice->is_string()) {
    const auto& s = choice->get_string();
    if (s == "auto" || s == "none") return nullptr;
    if (s != "required")
      throw_param("'tool_choice' must be none, auto, required or a function", kParam);
    if (!tools.is_array()) throw_param("tool_choice 'required' needs tools", kParam);
    bj::array names;
    for (const auto& t : tools.get_array()) {
      const bj::object* fn = function_of(t);
      if (fn && !name_of(*fn).empty()) names.push_back(bj::string(name_of(*fn)));
    }
    if (names.empty()) throw_param("tool_choice 'required' needs named tools", kParam);
    return compile_json_schema(
        call_schema(bj::object{{"enum", std::move(names)}}, bj::object{{"type", "object"}}),
        kParam);
  }
  const bj::object* want = choice->is_object() ? function_of(*choice) : nullptr;
  const std::string name = want ? name_of(*want) : std::string();
  if (name.empty()) throw_param("'tool_choice.function.name' must be a string", kParam);
  if (tools.is_array()) {
    for (const auto& t : tools.get_array()) {
      const bj::object* fn = function_of(t);
      if (fn && name_of(*fn) == name) {
        return compile_json_schema(call_schema(bj::object{{"const", name}}, arguments_schema(*fn)),
                                   kParam);
      }
    }
  }
  throw_param("tool_choice names '" + name + "', which is not among the tools", kParam);
}

}  // namespace hydra::engine
