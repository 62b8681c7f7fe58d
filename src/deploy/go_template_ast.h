#pragma once
// The parse tree of a Go text/template: plain data, built by the parser
// (go_template_parse.cpp) and walked by the executor (go_template_exec.cpp).
#include <boost/json/value.hpp>
#include <memory>
#include <string>
#include <vector>

namespace hydra::deploy::gotmpl {

struct Pipe;

// One operand of a command.
struct Arg {
  enum class Kind {
    kLiteral,   // value: a string, number, bool or nil
    kDot,       // .
    kField,     // .A.B: chain applied to dot
    kVariable,  // $x.A: name, then chain
    kPipe,      // (pipeline).A
    kFunction,  // an identifier naming a built-in function
  };
  Kind kind = Kind::kLiteral;
  boost::json::value literal;
  std::string name;                // variable or function name
  std::vector<std::string> chain;  // field names applied in order
  std::shared_ptr<Pipe> pipe;
};

struct Command {
  std::vector<Arg> args;
};

struct Pipe {
  std::vector<std::string> decl;  // $x, or $i, $e in range
  bool assign = false;            // `=` rather than `:=`
  std::vector<Command> cmds;
};

struct Node;
using NodeList = std::vector<Node>;

struct Node {
  enum class Kind { kText, kAction, kIf, kRange, kWith, kBreak, kContinue };
  Kind kind = Kind::kText;
  std::string text;
  std::shared_ptr<Pipe> pipe;
  std::shared_ptr<NodeList> then_list;
  std::shared_ptr<NodeList> else_list;  // null when there is no else
};

}  // namespace hydra::deploy::gotmpl
