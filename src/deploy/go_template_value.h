#pragma once
// Values inside the Go-template executor: JSON-shaped data plus Go's
// "no value" (a key missing from a map), which prints as "<no value>",
// is false, and becomes nil when passed to print functions.
#include <boost/json/value.hpp>
#include <string>
#include <vector>

namespace hydra::deploy::gotmpl {

struct Val {
  boost::json::value v;
  bool missing = false;

  static Val none() { return Val{nullptr, true}; }
};

// Go's truth: false, 0, "", empty lists and maps, nil and no value are false.
bool truth(const Val& x);
// Go's type names for messages: string, int, float64, bool, []interface {}, ...
std::string type_name(const boost::json::value& v);
// Go's %v of a value (see go_print in go_template.h).
std::string print_value(const boost::json::value& v);
// fmt.Sprintf, fmt.Sprint and fmt.Sprintln over JSON-shaped operands.
std::string sprintf_go(const std::string& format, const std::vector<boost::json::value>& args);
std::string sprint_go(const std::vector<boost::json::value>& args);
std::string sprintln_go(const std::vector<boost::json::value>& args);

// The built-in functions other than and/or (which need lazy arguments).
// Throws ApiError (PARAM_ERROR) as Go's "error calling X: ..." would.
Val call_builtin(const std::string& name, const std::vector<Val>& args);

}  // namespace hydra::deploy::gotmpl
