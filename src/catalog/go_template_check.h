#pragma once
// A light check of Go text/template strings used by runtime templates. It
// does not evaluate them (the deploy module renders); it only catches the
// mistakes an operator makes when typing one: unbalanced {{ }} and
// variables the renderer will never supply.
#include <string>
#include <string_view>
#include <vector>

namespace hydra::catalog {

// The variables a runtime template may reference as {{.NAME}}.
const std::vector<std::string>& template_variables();

// "" when the text is acceptable, else a message naming the problem.
std::string go_template_problem(std::string_view text);

}  // namespace hydra::catalog
