#pragma once
// Tool calls in model output, parsed back into OpenAI `tool_calls`.
// Formats: Hermes / Qwen (`<tool_call>{"name":..,"arguments":..}</tool_call>`,
// any number, text around them is content) and Llama 3 JSON (the whole
// reply is `{"name":..,"parameters":..}`, optionally after <|python_tag|>,
// several separated by ';'). Output that does not parse cleanly stays plain
// content: a half-formed call is never invented.
#include <boost/json.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hydra::engine::chat {

enum class ToolCallFormat { kNone, kHermes, kLlama3Json };

struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments;  // JSON text, as OpenAI sends it
};

struct ParsedReply {
  std::optional<std::string> content;  // nullopt when the reply is only tool calls
  std::vector<ToolCall> tool_calls;
};

// Which format a chat template teaches its model, from the template text.
ToolCallFormat detect_tool_call_format(std::string_view template_source);

using IdGenerator = std::function<std::string()>;
// "call_" + 24 random hex digits.
std::string new_tool_call_id();

ParsedReply parse_tool_calls(std::string_view text, ToolCallFormat format,
                             const IdGenerator& make_id = new_tool_call_id);

// [{"id":..,"type":"function","function":{"name":..,"arguments":..}}, ...]
boost::json::array to_openai(const std::vector<ToolCall>& calls);

}  // namespace hydra::engine::chat
