// libFuzzer target: arbitrary bytes as a chat template, parsed and rendered
// against a small conversation with tight limits. Any outcome other than a
// rendering or a TemplateError (a crash, a sanitizer report, a hang past
// the fuzzer timeout) is a bug. Rendering must also be deterministic.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/chat/template.h"

namespace {

using namespace hydra::engine::jinja;

const boost::json::object& context() {
  static const boost::json::object ctx = boost::json::parse(R"({
    "messages": [
      {"role": "system", "content": "Be brief."},
      {"role": "user", "content": "Weather in Paris? \u00e9\u65e5"},
      {"role": "assistant", "content": null, "reasoning_content": "think",
       "tool_calls": [{"id": "call12345", "type": "function",
                       "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
      {"role": "tool", "tool_call_id": "call12345", "content": "21"},
      {"role": "user", "content": [{"type": "text", "text": "thanks"}]}],
    "tools": [{"type": "function", "function": {"name": "get_weather", "description": "d",
               "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                              "required": ["city"]}}}],
    "add_generation_prompt": true, "bos_token": "<s>", "eos_token": "</s>",
    "n": 3, "f": 2.5, "s": "  text  "})")
                                             .as_object();
  return ctx;
}

RenderConfig config() {
  RenderConfig c;
  c.limits.max_output = 64 << 10;
  c.limits.max_items = 64 << 10;
  c.limits.max_steps = 20000;
  c.limits.max_call_depth = 30;
  c.now = [] {
    std::tm tm{};
    tm.tm_year = 125;
    tm.tm_mday = 1;
    return tm;
  };
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (64 << 10)) return 0;
  std::string_view source(reinterpret_cast<const char*>(data), size);
  static const RenderConfig cfg = config();
  try {
    Template t(source);
    std::string first, second;
    bool first_ok = true, second_ok = true;
    try {
      first = t.render(context(), cfg);
    } catch (const TemplateError&) {
      first_ok = false;
    }
    try {
      second = t.render(context(), cfg);
    } catch (const TemplateError&) {
      second_ok = false;
    }
    if (first_ok != second_ok || first != second) std::abort();  // renders must not leak state
    if (first.size() > cfg.limits.max_output) std::abort();
  } catch (const TemplateError&) {
  }
  return 0;
}
