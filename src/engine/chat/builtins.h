#pragma once
// The Python object model and jinja2's built-in library as the evaluator
// needs them: operators, slicing, membership, bound methods of str / dict /
// list, filters, tests and global functions.
#include <string>
#include <string_view>

#include "engine/chat/value.h"

namespace hydra::engine::jinja {

class Interpreter;

// + - * / // % ** ~ (and the Markup rules for +).
Value binary_op(Interpreter& in, std::string_view op, const Value& a, const Value& b);
// Python `item in container`.
bool contains(const Value& container, const Value& item);
// container[start:stop:step]; Undefined when the container cannot be sliced.
Value slice_of(const Value& v, const Value& start, const Value& stop, const Value& step);
// The bound method `self.name`, or Undefined when the type has none.
Value method_of(const Value& self, const std::string& name);
Value apply_filter(Interpreter& in, const std::string& name, const Value& input, CallArgs& args);
bool apply_test(Interpreter& in, const std::string& name, const Value& v, CallArgs& args);
// range, namespace, dict, raise_exception, cycler, joiner.
Value default_globals();
// markupsafe's escape of & < > " ' (the `escape` filter and safe-string concatenation).
std::string html_escape(std::string_view s);
// Python's len(), or -1 when the value has none.
int64_t py_len(const Value& v);

}  // namespace hydra::engine::jinja
