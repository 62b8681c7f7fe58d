#pragma once
// The lexer of Go text/template: text, delimiters with their trim markers
// applied, and the tokens inside actions.
#include <string>
#include <string_view>
#include <vector>

namespace hydra::deploy::gotmpl {

enum class Tok {
  kText,      // literal text between actions (already trimmed)
  kLeft,      // {{
  kRight,     // }}
  kField,     // .Name (text holds Name)
  kDot,       // .
  kVariable,  // $ or $name (text holds it with the $)
  kIdent,     // function names and keywords
  kString,    // "..." or `...` (text holds the decoded value)
  kChar,      // 'x' (text holds the code point in decimal)
  kNumber,    // text as written
  kPipe,      // |
  kLParen,    // (
  kRParen,    // )
  kDeclare,   // :=
  kAssign,    // =
  kComma,     // ,
  kEnd,       // end of input
};

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;
  bool space_before = false;  // separated from the previous token by blanks
  size_t line = 1;
};

// Throws ApiError (PARAM_ERROR) on unterminated actions, comments, strings
// and characters that cannot start a token.
std::vector<Token> lex(std::string_view src);

}  // namespace hydra::deploy::gotmpl
