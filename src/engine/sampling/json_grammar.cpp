#include "engine/sampling/json_grammar.h"

#include <algorithm>

namespace hydra::engine {
namespace {

bool is_ws(uint8_t b) {
  return b == ' ' || b == '\t' || b == '\n' || b == '\r';
}
bool is_digit(uint8_t b) {
  return b >= '0' && b <= '9';
}
bool is_hex(uint8_t b) {
  return is_digit(b) || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
}

}  // namespace

JsonGrammar::JsonGrammar(int max_depth) : max_depth_(std::clamp(max_depth, 1, kMaxDepthLimit)) {}

bool JsonGrammar::advance(std::string_view bytes) {
  for (char c : bytes) {
    if (!advance(static_cast<uint8_t>(c))) return false;
  }
  return true;
}

bool JsonGrammar::open(char kind) {
  if (depth_ >= max_depth_) return false;
  stack_[depth_++] = kind;
  mode_ = kind == '{' ? Mode::kKeyOrEnd : Mode::kValueOrEnd;
  return true;
}

bool JsonGrammar::close(char kind) {
  if (depth_ == 0 || stack_[depth_ - 1] != kind) return false;
  --depth_;
  mode_ = depth_ == 0 ? Mode::kDone : Mode::kAfterValue;
  return true;
}

bool JsonGrammar::start_value(uint8_t b) {
  if (is_ws(b)) return true;
  switch (b) {
    case '{':
    case '[':
      return open(static_cast<char>(b));
    case '"':
      mode_ = Mode::kString;
      string_is_key_ = false;
      return true;
    case '-':
      mode_ = Mode::kNumMinus;
      return true;
    case 't':
      literal_ = "true";
      break;
    case 'f':
      literal_ = "false";
      break;
    case 'n':
      literal_ = "null";
      break;
    default:
      if (b == '0') {
        mode_ = Mode::kNumZero;
        return true;
      }
      if (is_digit(b)) {
        mode_ = Mode::kNumInt;
        return true;
      }
      return false;
  }
  mode_ = Mode::kLiteral;
  literal_pos_ = 1;
  return true;
}

bool JsonGrammar::after_value(uint8_t b) {
  if (is_ws(b)) return true;
  if (b == ',') {
    mode_ = stack_[depth_ - 1] == '{' ? Mode::kKey : Mode::kValue;
    return true;
  }
  if (b == '}' || b == ']') return close(static_cast<char>(b == '}' ? '{' : '['));
  return false;
}

bool JsonGrammar::string_byte(uint8_t b) {
  if (utf8_left_ > 0) {
    if (b < utf8_lo_ || b > utf8_hi_) return false;
    --utf8_left_;
    utf8_lo_ = 0x80;
    utf8_hi_ = 0xBF;
    return true;
  }
  if (b == '"') {
    mode_ = string_is_key_ ? Mode::kColon : Mode::kAfterValue;
    return true;
  }
  if (b == '\\') {
    mode_ = Mode::kEscape;
    return true;
  }
  if (b < 0x20) return false;
  if (b < 0x80) return true;
  // UTF-8 lead bytes and the range their first continuation byte may take
  // (no overlong forms, no surrogates, nothing above U+10FFFF).
  if (b >= 0xC2 && b <= 0xDF) {
    utf8_left_ = 1;
  } else if (b >= 0xE0 && b <= 0xEF) {
    utf8_left_ = 2;
    if (b == 0xE0) utf8_lo_ = 0xA0;
    if (b == 0xED) utf8_hi_ = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    utf8_left_ = 3;
    if (b == 0xF0) utf8_lo_ = 0x90;
    if (b == 0xF4) utf8_hi_ = 0x8F;
  } else {
    return false;
  }
  return true;
}

bool JsonGrammar::end_number(uint8_t b) {
  mode_ = depth_ == 0 ? Mode::kDone : Mode::kAfterValue;
  return mode_ == Mode::kAfterValue && after_value(b);
}

bool JsonGrammar::number_byte(uint8_t b) {
  switch (mode_) {
    case Mode::kNumMinus:
      if (!is_digit(b)) return false;
      mode_ = b == '0' ? Mode::kNumZero : Mode::kNumInt;
      return true;
    case Mode::kNumZero:
    case Mode::kNumInt:
      if (mode_ == Mode::kNumInt && is_digit(b)) return true;
      if (b == '.') {
        mode_ = Mode::kNumDot;
        return true;
      }
      if (b == 'e' || b == 'E') {
        mode_ = Mode::kNumExp;
        return true;
      }
      return end_number(b);
    case Mode::kNumDot:
      if (!is_digit(b)) return false;
      mode_ = Mode::kNumFrac;
      return true;
    case Mode::kNumFrac:
      if (is_digit(b)) return true;
      if (b == 'e' || b == 'E') {
        mode_ = Mode::kNumExp;
        return true;
      }
      return end_number(b);
    case Mode::kNumExp:
      if (b == '+' || b == '-') {
        mode_ = Mode::kNumExpSign;
        return true;
      }
      [[fallthrough]];
    case Mode::kNumExpSign:
      if (!is_digit(b)) return false;
      mode_ = Mode::kNumExpDigits;
      return true;
    case Mode::kNumExpDigits:
      return is_digit(b) || end_number(b);
    default:
      return false;
  }
}

bool JsonGrammar::advance(uint8_t b) {
  switch (mode_) {
    case Mode::kStart:
      if (is_ws(b)) return true;
      return b == '{' && open('{');
    case Mode::kKeyOrEnd:
      if (b == '}') return close('{');
      [[fallthrough]];
    case Mode::kKey:
      if (is_ws(b)) return true;
      if (b != '"') return false;
      mode_ = Mode::kString;
      string_is_key_ = true;
      return true;
    case Mode::kColon:
      if (is_ws(b)) return true;
      if (b != ':') return false;
      mode_ = Mode::kValue;
      return true;
    case Mode::kValueOrEnd:
      if (b == ']') return close('[');
      [[fallthrough]];
    case Mode::kValue:
      return start_value(b);
    case Mode::kAfterValue:
      return after_value(b);
    case Mode::kString:
      return string_byte(b);
    case Mode::kEscape:
      if (b == 'u') {
        mode_ = Mode::kUnicode;
        hex_count_ = 0;
        return true;
      }
      if (b == '"' || b == '\\' || b == '/' || b == 'b' || b == 'f' || b == 'n' || b == 'r' ||
          b == 't') {
        mode_ = Mode::kString;
        return true;
      }
      return false;
    case Mode::kUnicode:
      if (!is_hex(b)) return false;
      // Surrogate escapes (\uD800-\uDFFF) are refused: a lone one is not
      // valid Unicode, and pairs are rare enough to spell as UTF-8.
      if (hex_count_ == 0) hex_high_d_ = b == 'd' || b == 'D';
      if (hex_count_ == 1 && hex_high_d_ && b >= '8') return false;  // 8-9, A-F, a-f
      if (++hex_count_ == 4) mode_ = Mode::kString;
      return true;
    case Mode::kLiteral:
      if (b != static_cast<uint8_t>(literal_[literal_pos_])) return false;
      if (literal_[++literal_pos_] == '\0') mode_ = Mode::kAfterValue;
      return true;
    case Mode::kDone:
      return false;
    default:
      return number_byte(b);
  }
}

std::string JsonGrammar::close_all() const {
  std::string out;
  for (int i = depth_ - 1; i >= 0; --i) out += stack_[i] == '{' ? '}' : ']';
  return out;
}

std::string JsonGrammar::completion() const {
  switch (mode_) {
    case Mode::kStart:
      return "{}";
    case Mode::kKeyOrEnd:
    case Mode::kValueOrEnd:
    case Mode::kAfterValue:
    case Mode::kNumZero:
    case Mode::kNumInt:
    case Mode::kNumFrac:
    case Mode::kNumExpDigits:
      return close_all();
    case Mode::kKey:
      return "\"\":0" + close_all();
    case Mode::kColon:
      return ":0" + close_all();
    case Mode::kValue:
    case Mode::kNumMinus:
    case Mode::kNumDot:
    case Mode::kNumExp:
    case Mode::kNumExpSign:
      return "0" + close_all();
    case Mode::kString:
    case Mode::kEscape:
    case Mode::kUnicode: {
      std::string out;
      if (mode_ == Mode::kEscape) out += 'n';
      if (mode_ == Mode::kUnicode) out.append(4 - hex_count_, '0');
      if (mode_ == Mode::kString && utf8_left_ > 0) {
        out += static_cast<char>(utf8_lo_);
        out.append(utf8_left_ - 1, static_cast<char>(0x80));
      }
      out += '"';
      if (string_is_key_) out += ":0";
      return out + close_all();
    }
    case Mode::kLiteral:
      return std::string(literal_ + literal_pos_) + close_all();
    case Mode::kDone:
      return "";
  }
  return "";
}

}  // namespace hydra::engine
