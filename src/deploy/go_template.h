#pragma once
// A renderer for Go text/template, the syntax of runtime templates
// (DESIGN.md §6; DaoCloud Hydra's hydra-runtime-template config.yaml).
// It renders as Go does with map data and the default missing-key option:
// actions, {{- / -}} trimming, comments, if / else if / else, range (lists,
// maps in key order, integers) with break / continue, with / else with,
// variables, pipelines, parenthesised pipelines, and the built-in
// functions and, or, not, eq, ne, lt, le, gt, ge, len, index, print,
// printf, println. Nested template definitions are refused.
//
// Templates are operator input: every failure is a PARAM_ERROR ApiError
// naming the problem, nesting and output are bounded.
#include <boost/json/value.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "deploy/go_template_ast.h"

namespace hydra::deploy {

class GoTemplate {
 public:
  // Throws ApiError (PARAM_ERROR) on a syntax error.
  static GoTemplate parse(std::string_view text);
  // `data` is the dot: usually an object of variables. Throws ApiError
  // (PARAM_ERROR) when execution fails, as Go's Execute would.
  std::string render(const boost::json::value& data) const;

 private:
  std::shared_ptr<const gotmpl::NodeList> root_;
};

// Parse and render in one step.
std::string render_go_template(std::string_view text, const boost::json::value& data);

// Go's %v of a value: strings raw, [a b] for lists, map[k:v] for objects,
// numbers as Go prints int and float64.
std::string go_print(const boost::json::value& v);

}  // namespace hydra::deploy
