#pragma once
// Python's text forms of values, byte for byte: float repr, str repr,
// json.dumps (as Hugging Face's tojson calls it), str.format, the %
// operator and strftime. Templates print these, so any difference shows up
// in the prompt.
#include <ctime>
#include <string>
#include <string_view>

#include "engine/chat/value.h"

namespace hydra::engine::jinja {

std::string float_repr(double v);
std::string string_repr(std::string_view s);

struct JsonOptions {
  bool ensure_ascii = false;
  bool sort_keys = false;
  bool pretty = false;  // indent given (even 0 or "")
  std::string indent;   // one level of indentation
  std::string item_separator = ", ";
  std::string key_separator = ": ";
};
std::string json_dumps(const Value& v, const JsonOptions& options);

// "{} {:>5}".format(...), with automatic and explicit field numbering,
// keyword fields and the common format specs.
std::string python_format(std::string_view fmt, const CallArgs& args);
// "%s %d" % args (jinja2's `format` filter).
std::string percent_format(std::string_view fmt, const List& args);
std::string strftime_text(std::string_view fmt, const std::tm& tm);

}  // namespace hydra::engine::jinja
