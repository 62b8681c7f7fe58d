#pragma once
// Builds the statement tree from tokens, following jinja2's grammar and
// operator precedence. Unknown tags, and unknown filters or tests outside
// an `if`, are syntax errors here, as in jinja2.
#include <string_view>

#include "engine/chat/ast.h"

namespace hydra::engine::jinja {

struct ParseLimits {
  int max_depth = 200;  // nesting of expressions and blocks
};

Body parse_template(std::string_view source, const ParseLimits& limits = {});

// Whether a filter or test of this name exists (parser and evaluator agree).
bool is_known_filter(std::string_view name);
bool is_known_test(std::string_view name);

}  // namespace hydra::engine::jinja
