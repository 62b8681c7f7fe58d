#pragma once
// The parser of Go text/template: tokens to a node list, with Go's
// parse-time checks (known functions, declared variables, break/continue
// inside range, balanced control structures).
#include <memory>
#include <string_view>

#include "deploy/go_template_ast.h"

namespace hydra::deploy::gotmpl {

// Throws ApiError (PARAM_ERROR) on any syntax error.
std::shared_ptr<const NodeList> parse(std::string_view text);

// The functions templates may call.
bool is_builtin_function(std::string_view name);

}  // namespace hydra::deploy::gotmpl
