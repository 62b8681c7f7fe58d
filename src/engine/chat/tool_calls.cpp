#include "engine/chat/tool_calls.h"

#include "common/random.h"
#include "engine/chat/py_format.h"
#include "engine/chat/template.h"

namespace hydra::engine::chat {

namespace bj = boost::json;

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Python-style JSON text (what vLLM sends), so arguments look the same.
std::string arguments_text(const bj::value& args) {
  if (args.is_string()) return std::string(args.as_string());
  jinja::ValueArena arena;
  return jinja::json_dumps(jinja::from_json(args), jinja::JsonOptions{});
}

// {"name": "...", "arguments"|"parameters": {...}} -> ToolCall.
std::optional<ToolCall> call_from_json(const bj::value& v, const IdGenerator& make_id) {
  if (!v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  const bj::value* name = o.if_contains("name");
  if (!name || !name->is_string() || name->as_string().empty()) return std::nullopt;
  const bj::value* args = o.if_contains("arguments");
  if (!args) args = o.if_contains("parameters");
  ToolCall call;
  call.id = make_id();
  call.name = std::string(name->as_string());
  call.arguments = args ? arguments_text(*args) : "{}";
  return call;
}

std::optional<ToolCall> parse_one(std::string_view json, const IdGenerator& make_id) {
  bj::error_code ec;
  bj::value v = bj::parse(json, ec);
  if (ec) return std::nullopt;
  return call_from_json(v, make_id);
}

ParsedReply plain(std::string_view text) {
  return ParsedReply{std::string(text), {}};
}

ParsedReply parse_hermes(std::string_view text, const IdGenerator& make_id) {
  static constexpr std::string_view kOpen = "<tool_call>";
  static constexpr std::string_view kClose = "</tool_call>";
  ParsedReply out;
  std::string content;
  size_t pos = 0;
  while (true) {
    size_t open = text.find(kOpen, pos);
    if (open == std::string_view::npos) break;
    content.append(text.substr(pos, open - pos));
    size_t body = open + kOpen.size();
    size_t close = text.find(kClose, body);
    // A reply cut off at its stop token may lack the closing tag.
    std::string_view json =
        text.substr(body, close == std::string_view::npos ? text.npos : close - body);
    auto call = parse_one(trim(json), make_id);
    if (!call) return plain(text);
    out.tool_calls.push_back(std::move(*call));
    pos = close == std::string_view::npos ? text.size() : close + kClose.size();
  }
  if (out.tool_calls.empty()) return plain(text);
  content.append(text.substr(std::min(pos, text.size())));
  std::string_view c = trim(content);
  if (!c.empty()) out.content = std::string(c);
  return out;
}

ParsedReply parse_llama3(std::string_view text, const IdGenerator& make_id) {
  static constexpr std::string_view kPythonTag = "<|python_tag|>";
  std::string_view rest = trim(text);
  if (rest.substr(0, kPythonTag.size()) == kPythonTag) rest = trim(rest.substr(kPythonTag.size()));
  if (rest.empty() || rest.front() != '{') return plain(text);
  ParsedReply out;
  while (!rest.empty()) {
    bj::stream_parser p;
    bj::error_code ec;
    size_t used = p.write_some(rest.data(), rest.size(), ec);
    if (ec || !p.done()) return plain(text);
    auto call = call_from_json(p.release(), make_id);
    if (!call) return plain(text);
    out.tool_calls.push_back(std::move(*call));
    rest = trim(rest.substr(used));
    if (!rest.empty() && rest.front() == ';') rest = trim(rest.substr(1));
    if (!rest.empty() && rest.front() != '{') return plain(text);
  }
  return out;
}

}  // namespace

ToolCallFormat detect_tool_call_format(std::string_view source) {
  if (source.find("<tool_call>") != std::string_view::npos) return ToolCallFormat::kHermes;
  if (source.find("<|python_tag|>") != std::string_view::npos ||
      (source.find("ipython") != std::string_view::npos &&
       source.find("\"parameters\"") != std::string_view::npos))
    return ToolCallFormat::kLlama3Json;
  return ToolCallFormat::kNone;
}

std::string new_tool_call_id() {
  return "call_" + random_hex(12);
}

ParsedReply parse_tool_calls(std::string_view text, ToolCallFormat format,
                             const IdGenerator& make_id) {
  switch (format) {
    case ToolCallFormat::kHermes:
      return parse_hermes(text, make_id);
    case ToolCallFormat::kLlama3Json:
      return parse_llama3(text, make_id);
    case ToolCallFormat::kNone:
      break;
  }
  return plain(text);
}

bj::array to_openai(const std::vector<ToolCall>& calls) {
  bj::array out;
  for (const auto& c : calls) {
    out.push_back(
        bj::object{{"id", c.id},
                   {"type", "function"},
                   {"function", bj::object{{"name", c.name}, {"arguments", c.arguments}}}});
  }
  return out;
}

}  // namespace hydra::engine::chat
