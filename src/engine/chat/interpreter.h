#pragma once
// Walks the statement tree and renders it. Scoping follows jinja2: a for
// loop gives every iteration a fresh scope, `if` does not scope, a macro
// sees its arguments plus the template's top-level names, and `set` writes
// to the innermost scope (hence namespace() for state that outlives a loop).
// Hostile templates are stopped by the limits: evaluation steps, output
// size, sizes of built strings and lists, and nesting of macro calls.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/chat/ast.h"
#include "engine/chat/value.h"

namespace hydra::engine::jinja {

struct RenderLimits {
  size_t max_output = size_t{16} << 20;  // bytes of any rendered buffer
  size_t max_items = size_t{1} << 22;    // bytes of a built string / items of a built list
  uint64_t max_steps = 5'000'000;        // expressions evaluated + statements run
  int max_call_depth = 100;              // nested macro and callable calls
};

class Interpreter {
 public:
  // `globals` and `context` are dicts; context names shadow globals.
  Interpreter(const RenderLimits& limits, const Value& globals, const Value& context);

  std::string render(const Body& body);

  // Used by filters, tests and methods.
  Value call(const Value& fn, CallArgs& args);
  void check_size(size_t n) const;
  const RenderLimits& limits() const { return limits_; }
  Value get_attr(const Value& obj, const std::string& name);
  Value get_item(const Value& obj, const Value& key);
  // Python iteration: list/tuple items, dict keys, string characters.
  List iterate(const Value& v);

 private:
  struct Frame {
    std::vector<std::pair<std::string, Value>> vars;
    Frame* parent = nullptr;
  };
  enum class Flow { kNormal, kBreak, kContinue };

  Flow exec_body(const Body& body, std::string& out);
  Flow exec(const Stmt& s, std::string& out);
  Flow exec_for(const Stmt& s, std::string& out);
  void exec_set(const Stmt& s);
  void exec_macro(const Stmt& s);
  void exec_call_block(const Stmt& s, std::string& out);
  void bind_targets(const std::vector<std::string>& targets, const Value& v);
  Value make_macro(const Stmt& s, const Value& caller);
  Value call_macro(const Stmt& s, const Value& caller, CallArgs& args);

  Value eval(const Expr& e);
  Value eval_compare(const Expr& e);
  Value eval_call(const Expr& e);
  Value eval_filter(const Expr& e, const Value* block_input);
  Value eval_test(const Expr& e);
  Value eval_slice(const Expr& e);
  CallArgs eval_args(const Expr& e, size_t first);

  Value lookup(const std::string& name) const;
  void assign(const std::string& name, Value v);
  void append(std::string& out, std::string_view text) const;
  void step();

  RenderLimits limits_;
  Value globals_;
  Frame root_;
  Frame* frame_ = &root_;
  uint64_t steps_ = 0;
  int call_depth_ = 0;
};

}  // namespace hydra::engine::jinja
