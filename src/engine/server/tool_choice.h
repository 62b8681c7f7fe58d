#pragma once
// tool_choice "required" or {"type": "function", "function": {"name": ..}}
// forces a tool call. The engine does it with constrained decoding: the
// reply must be `{"name": <a tool>, "arguments": {...}}` (the arguments
// following the tool's parameter schema where the JSON-schema subset can
// express it, any object otherwise), which is read back as a Llama 3 style
// JSON call whatever the template's own format is.
#include <boost/json.hpp>
#include <memory>

#include "engine/sampling/json_schema.h"

namespace hydra::engine {

// The output schema a forced choice sets, or null ("auto", "none", absent).
// A named function missing from `tools`, or a malformed choice, is
// PARAM_ERROR naming tool_choice.
std::shared_ptr<const JsonSchema> forced_tool_call_schema(const boost::json::value* tool_choice,
                                                          const boost::json::value& tools);

}  // namespace hydra::engine
