#pragma once
// Splits template source into tokens the way jinja2's lexer does with
// Hugging Face's settings: newlines normalized, one trailing newline
// dropped, `{%- -%}` whitespace control, trim_blocks (first newline after
// a block or comment tag removed) and lstrip_blocks (indentation before a
// block or comment tag removed). Comments never reach the parser.
#include <string>
#include <string_view>
#include <vector>

namespace hydra::engine::jinja {

struct Token {
  enum class Type : uint8_t {
    kText,
    kVarBegin,
    kVarEnd,
    kBlockBegin,
    kBlockEnd,
    kName,
    kString,
    kInt,
    kFloat,
    kOp,
    kEof,
  };
  Type type;
  std::string text;  // kString: already unescaped
  int line;
};

std::vector<Token> tokenize(std::string_view source);

}  // namespace hydra::engine::jinja
