// jinja2's built-in tests (`x is defined`, `x is mapping`, ...).
#include <cmath>
#include <unordered_map>

#include "engine/chat/builtins.h"
#include "engine/chat/error.h"
#include "engine/chat/interpreter.h"
#include "engine/chat/parser.h"
#include "engine/chat/py_str.h"

namespace hydra::engine::jinja {

namespace {

using Test = bool (*)(Interpreter&, const Value& v, CallArgs& a);

const Value& need(const CallArgs& a, const char* test) {
  if (a.positional.empty()) fail(std::string("test '") + test + "' needs an argument");
  return a.positional[0];
}

bool t_defined(Interpreter&, const Value& v, CallArgs&) {
  return !v.is_undefined();
}
bool t_undefined(Interpreter&, const Value& v, CallArgs&) {
  return v.is_undefined();
}
bool t_none(Interpreter&, const Value& v, CallArgs&) {
  return v.is_none();
}
bool t_boolean(Interpreter&, const Value& v, CallArgs&) {
  return v.is_bool();
}
bool t_true(Interpreter&, const Value& v, CallArgs&) {
  return v.is_bool() && v.b;
}
bool t_false(Interpreter&, const Value& v, CallArgs&) {
  return v.is_bool() && !v.b;
}
bool t_integer(Interpreter&, const Value& v, CallArgs&) {
  return v.is_int();
}
bool t_float(Interpreter&, const Value& v, CallArgs&) {
  return v.type == Value::Type::kFloat;
}
bool t_number(Interpreter&, const Value& v, CallArgs&) {
  return v.is_number();
}
bool t_string(Interpreter&, const Value& v, CallArgs&) {
  return v.is_string();
}
bool t_mapping(Interpreter&, const Value& v, CallArgs&) {
  return v.is_dict();
}
// Undefined defines __iter__, __len__ and __getitem__, so it passes these two.
bool t_iterable(Interpreter&, const Value& v, CallArgs&) {
  return v.is_undefined() || v.is_string() || v.is_list() || v.is_dict();
}
bool t_sequence(Interpreter& in, const Value& v, CallArgs& a) {
  return t_iterable(in, v, a) && !v.is_lazy();
}
bool t_callable(Interpreter&, const Value& v, CallArgs&) {
  return v.is_callable() || v.is_undefined() || (v.is_object() && v.str == "LoopContext");
}
bool t_escaped(Interpreter&, const Value& v, CallArgs&) {
  return v.is_string() && v.flag;
}

Value modulo(Interpreter& in, const Value& v, const Value& d) {
  return binary_op(in, "%", v, d);
}
bool t_odd(Interpreter& in, const Value& v, CallArgs&) {
  return equals(modulo(in, v, Value::integer(2)), Value::integer(1));
}
bool t_even(Interpreter& in, const Value& v, CallArgs&) {
  return equals(modulo(in, v, Value::integer(2)), Value::integer(0));
}
bool t_divisibleby(Interpreter& in, const Value& v, CallArgs& a) {
  return equals(modulo(in, v, need(a, "divisibleby")), Value::integer(0));
}
bool t_eq(Interpreter&, const Value& v, CallArgs& a) {
  return equals(v, need(a, "eq"));
}
bool t_ne(Interpreter&, const Value& v, CallArgs& a) {
  return !equals(v, need(a, "ne"));
}
bool t_lt(Interpreter&, const Value& v, CallArgs& a) {
  return less(v, need(a, "lt"));
}
bool t_gt(Interpreter&, const Value& v, CallArgs& a) {
  return less(need(a, "gt"), v);
}
bool t_le(Interpreter&, const Value& v, CallArgs& a) {
  return !less(need(a, "le"), v);
}
bool t_ge(Interpreter&, const Value& v, CallArgs& a) {
  return !less(v, need(a, "ge"));
}
bool t_in(Interpreter&, const Value& v, CallArgs& a) {
  return contains(need(a, "in"), v);
}

// Python `is`: singletons and small ints by value, containers by identity.
bool t_sameas(Interpreter&, const Value& v, CallArgs& a) {
  const Value& o = need(a, "sameas");
  if (v.type != o.type) return false;
  switch (v.type) {
    case Value::Type::kUndefined:
    case Value::Type::kNone:
      return true;
    case Value::Type::kBool:
      return v.b == o.b;
    case Value::Type::kInt:
      return v.i == o.i && v.i >= -5 && v.i <= 256;
    case Value::Type::kFloat:
      return false;
    case Value::Type::kString:
      return v.str == o.str;
    case Value::Type::kList:
      return v.list == o.list;
    case Value::Type::kDict:
    case Value::Type::kObject:
      return v.dict == o.dict;
    case Value::Type::kCallable:
      return v.fn == o.fn;
  }
  return false;
}

bool t_lower(Interpreter&, const Value& v, CallArgs&) {
  std::string s = to_str(v);
  return py_lower(s) == s && py_upper(s) != s;
}
bool t_upper(Interpreter&, const Value& v, CallArgs&) {
  std::string s = to_str(v);
  return py_upper(s) == s && py_lower(s) != s;
}
bool t_filter(Interpreter&, const Value& v, CallArgs&) {
  return v.is_string() && is_known_filter(v.str);
}
bool t_test(Interpreter&, const Value& v, CallArgs&) {
  return v.is_string() && is_known_test(v.str);
}

const std::unordered_map<std::string_view, Test>& tests() {
  static const std::unordered_map<std::string_view, Test> table = {
      {"defined", t_defined},
      {"undefined", t_undefined},
      {"none", t_none},
      {"boolean", t_boolean},
      {"true", t_true},
      {"false", t_false},
      {"integer", t_integer},
      {"float", t_float},
      {"number", t_number},
      {"string", t_string},
      {"mapping", t_mapping},
      {"iterable", t_iterable},
      {"sequence", t_sequence},
      {"callable", t_callable},
      {"escaped", t_escaped},
      {"odd", t_odd},
      {"even", t_even},
      {"divisibleby", t_divisibleby},
      {"eq", t_eq},
      {"equalto", t_eq},
      {"==", t_eq},
      {"ne", t_ne},
      {"!=", t_ne},
      {"lt", t_lt},
      {"lessthan", t_lt},
      {"<", t_lt},
      {"gt", t_gt},
      {"greaterthan", t_gt},
      {">", t_gt},
      {"le", t_le},
      {"<=", t_le},
      {"ge", t_ge},
      {">=", t_ge},
      {"in", t_in},
      {"sameas", t_sameas},
      {"lower", t_lower},
      {"upper", t_upper},
      {"filter", t_filter},
      {"test", t_test},
  };
  return table;
}

}  // namespace

bool is_known_test(std::string_view name) {
  return tests().count(name) > 0;
}

bool apply_test(Interpreter& in, const std::string& name, const Value& v, CallArgs& args) {
  auto it = tests().find(name);
  if (it == tests().end()) fail("No test named '" + name + "'.");
  return it->second(in, v, args);
}

}  // namespace hydra::engine::jinja
