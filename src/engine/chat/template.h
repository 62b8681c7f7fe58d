#pragma once
// A parsed chat template. Parse once (model load), render per request; a
// Template is immutable, so renders may run concurrently. Rendering follows
// Hugging Face's jinja2 environment: trim_blocks, lstrip_blocks, loop
// controls, `{% generation %}`, raise_exception, strftime_now and tojson.
#include <boost/json/value.hpp>
#include <ctime>
#include <functional>
#include <string>
#include <string_view>

#include "engine/chat/ast.h"
#include "engine/chat/error.h"
#include "engine/chat/interpreter.h"
#include "engine/chat/parser.h"
#include "engine/chat/value.h"

namespace hydra::engine::jinja {

struct RenderConfig {
  RenderLimits limits;
  // Local time for strftime_now(); the system clock when empty.
  std::function<std::tm()> now;
};

class Template {
 public:
  // Throws TemplateSyntaxError.
  explicit Template(std::string_view source, const ParseLimits& limits = {});

  // `context` is a dict of top-level names; it is copied, so a template
  // can never modify the caller's data. Throws TemplateError.
  std::string render(const Value& context, const RenderConfig& config = {}) const;
  std::string render(const boost::json::object& context, const RenderConfig& config = {}) const;

 private:
  Body body_;
};

// JSON -> Value (objects keep their key order).
Value from_json(const boost::json::value& v);
// A copy sharing nothing mutable with `v`.
Value deep_copy(const Value& v);

}  // namespace hydra::engine::jinja
