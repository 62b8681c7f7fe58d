#pragma once
// The parsed template: plain expression and statement nodes. One node
// type each, with a kind tag, so the evaluator is a flat switch.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/chat/value.h"

namespace hydra::engine::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind : uint8_t {
    kLiteral,   // value
    kName,      // name
    kList,      // args
    kTuple,     // args
    kDict,      // args: key, value, key, value...
    kGetAttr,   // args[0].name
    kGetItem,   // args[0][args[1]]
    kSlice,     // args[0][args[1]:args[2]:args[3]] (null parts allowed)
    kCall,      // args[0](args[1..], kwargs)
    kFilter,    // name: args[0] is the input (may be null in a filter block)
    kTest,      // name, negated: args[0] is the subject
    kUnary,     // op: "-", "+", "not"
    kBinary,    // op: + - * / // % ** ~ and or
    kCompare,   // args[0] ops[i] args[i+1]...
    kCondExpr,  // args[1] if args[0] else args[2] (args[2] may be null)
  };

  Kind kind = Kind::kLiteral;
  int line = 0;
  bool negated = false;
  bool soft = false;  // inside if/ternary: an unknown filter fails only when run
  Value value;
  std::string name;
  std::vector<std::string> ops;
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
};

struct Stmt;
using Body = std::vector<Stmt>;

struct MacroParam {
  std::string name;
  ExprPtr default_value;  // may be null
};

struct Stmt {
  enum class Kind : uint8_t {
    kText,         // text
    kOutput,       // {{ expr }}
    kIf,           // expr, body, else_body (an elif is a nested kIf in else_body)
    kFor,          // targets in expr [if cond] body else_body
    kSet,          // targets (or name.attr) = expr
    kSetBlock,     // name = rendered body, through filter `expr` when given
    kMacro,        // name(params) body
    kCallBlock,    // expr (the call), params for caller(), body is caller's body
    kFilterBlock,  // expr is a filter chain over the rendered body
    kBreak,
    kContinue,
    kScope,  // body rendered in place ({% generation %})
  };

  Kind kind = Kind::kText;
  int line = 0;
  std::string text;                  // kText; kSet/kSetBlock: attribute for ns.attr
  ExprPtr expr;                      // main expression
  ExprPtr cond;                      // kFor: inline filter
  std::vector<std::string> targets;  // kFor / kSet / kSetBlock / kMacro (name)
  std::vector<MacroParam> params;    // kMacro / kCallBlock
  bool recursive = false;            // kFor
  bool uses_caller = false;          // kMacro
  bool uses_varargs = false;         // kMacro
  bool uses_kwargs = false;          // kMacro
  Body body;
  Body else_body;
};

}  // namespace hydra::engine::jinja
