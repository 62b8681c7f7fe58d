#include "engine/chat/lexer.h"

#include "engine/chat/error.h"
#include "engine/chat/utf8.h"

namespace hydra::engine::jinja {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_name_char(char c) {
  return is_name_start(c) || is_digit(c);
}

std::string normalize_newlines(std::string_view src) {
  std::string out;
  out.reserve(src.size());
  for (size_t i = 0; i < src.size(); ++i) {
    if (src[i] == '\r') {
      out += '\n';
      if (i + 1 < src.size() && src[i + 1] == '\n') ++i;
    } else {
      out += src[i];
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();  // keep_trailing_newline=False
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Python's unicode-escape decoding of a string literal body.
std::string unescape(std::string_view s, int line) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 >= s.size()) {
      out += s[i];
      continue;
    }
    char c = s[++i];
    switch (c) {
      case '\n':
        break;
      case '\\':
        out += '\\';
        break;
      case '\'':
        out += '\'';
        break;
      case '"':
        out += '"';
        break;
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case 'x':
      case 'u':
      case 'U': {
        int n = c == 'x' ? 2 : c == 'u' ? 4 : 8;
        char32_t cp = 0;
        for (int k = 0; k < n; ++k) {
          int h = i + 1 < s.size() ? hex_value(s[i + 1]) : -1;
          if (h < 0)
            throw TemplateSyntaxError("truncated \\" + std::string(1, c) + " escape", line);
          cp = cp * 16 + h;
          ++i;
        }
        if (cp > 0x10FFFF) throw TemplateSyntaxError("illegal Unicode character", line);
        utf8_append(out, cp);
        break;
      }
      default:
        if (c >= '0' && c <= '7') {
          char32_t cp = c - '0';
          for (int k = 0; k < 2 && i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '7'; ++k)
            cp = cp * 8 + (s[++i] - '0');
          utf8_append(out, cp);
        } else {
          out += '\\';
          out += c;
        }
    }
  }
  return out;
}

class Lexer {
 public:
  explicit Lexer(std::string_view source) : src_(normalize_newlines(source)) {}

  std::vector<Token> run() {
    while (pos_ < src_.size()) {
      size_t start = src_.find('{', pos_);
      while (start != std::string::npos && start + 1 < src_.size() && src_[start + 1] != '{' &&
             src_[start + 1] != '%' && src_[start + 1] != '#')
        start = src_.find('{', start + 1);
      if (start == std::string::npos || start + 1 >= src_.size()) {
        emit_text(src_.substr(pos_));
        break;
      }
      lex_tag(start);
    }
    tokens_.push_back({Token::Type::kEof, "", line_});
    return std::move(tokens_);
  }

 private:
  void emit_text(std::string text) {
    int lines = 0;
    for (char c : text) lines += c == '\n';
    if (!text.empty()) tokens_.push_back({Token::Type::kText, std::move(text), line_});
    line_ += lines;
  }

  void lex_tag(size_t start) {
    char kind = src_[start + 1];
    char sign = start + 2 < src_.size() ? src_[start + 2] : 0;
    std::string text = src_.substr(pos_, start - pos_);
    if (sign == '-') {
      size_t end = text.size();
      while (end > 0 && is_space(text[end - 1])) --end;
      count_lines(text, end);
      text.resize(end);
    } else if (sign != '+' && kind != '{') {
      size_t l_pos = text.rfind('\n');
      l_pos = l_pos == std::string::npos ? 0 : l_pos + 1;
      if ((l_pos > 0 || line_starting_) && l_pos < text.size()) {
        bool blank = true;
        for (size_t k = l_pos; k < text.size(); ++k) blank = blank && is_space(text[k]);
        if (blank) text.resize(l_pos);
      }
    }
    emit_text(std::move(text));
    pos_ = start + 2 + ((sign == '-' || sign == '+') ? 1 : 0);
    if (kind == '#') {
      lex_comment_end();
    } else {
      tokens_.push_back(
          {kind == '{' ? Token::Type::kVarBegin : Token::Type::kBlockBegin, "", line_});
      lex_inside(kind == '{' ? '}' : '%');
    }
  }

  void count_lines(const std::string& text, size_t from) {
    for (size_t k = from; k < text.size(); ++k) line_ += text[k] == '\n';
  }

  void lex_comment_end() {
    size_t end = src_.find("#}", pos_);
    if (end == std::string::npos) throw TemplateSyntaxError("missing end of comment tag", line_);
    for (size_t k = pos_; k < end; ++k) line_ += src_[k] == '\n';
    char before = end > pos_ ? src_[end - 1] : 0;
    pos_ = end + 2;
    after_tag_end(before, true);
  }

  // Whitespace handling after `%}` / `#}` / `}}`, then line_starting.
  void after_tag_end(char sign, bool block) {
    size_t from = pos_;
    if (sign == '-') {
      while (pos_ < src_.size() && is_space(src_[pos_])) ++pos_;
    } else if (sign != '+' && block && pos_ < src_.size() && src_[pos_] == '\n') {
      ++pos_;
    }
    for (size_t k = from; k < pos_; ++k) line_ += src_[k] == '\n';
    line_starting_ = pos_ > 0 && src_[pos_ - 1] == '\n' && pos_ > from;
  }

  bool at_end_tag(char close) {
    if (!balance_.empty()) return false;
    size_t p = pos_;
    char sign = 0;
    if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) sign = src_[p++];
    if (close == '}' && sign == '+') return false;  // `+}}` is not an end tag
    if (p + 1 < src_.size() && src_[p] == close && src_[p + 1] == '}') {
      pos_ = p + 2;
      tokens_.push_back({close == '}' ? Token::Type::kVarEnd : Token::Type::kBlockEnd, "", line_});
      after_tag_end(sign, close == '%');
      return true;
    }
    return false;
  }

  void lex_inside(char close) {
    balance_.clear();
    while (true) {
      while (pos_ < src_.size() && is_space(src_[pos_])) line_ += src_[pos_++] == '\n';
      if (pos_ >= src_.size())
        throw TemplateSyntaxError("unexpected end of template in tag", line_);
      if (at_end_tag(close)) return;
      char c = src_[pos_];
      if (is_name_start(c)) {
        size_t b = pos_;
        while (pos_ < src_.size() && is_name_char(src_[pos_])) ++pos_;
        tokens_.push_back({Token::Type::kName, src_.substr(b, pos_ - b), line_});
      } else if (is_digit(c)) {
        lex_number();
      } else if (c == '\'' || c == '"') {
        lex_string(c);
      } else {
        lex_operator();
      }
    }
  }

  void lex_number() {
    size_t b = pos_;
    auto digits = [&] {
      while (pos_ < src_.size() &&
             (is_digit(src_[pos_]) ||
              (src_[pos_] == '_' && pos_ + 1 < src_.size() && is_digit(src_[pos_ + 1]))))
        ++pos_;
    };
    digits();
    bool is_float = false;
    bool after_dot = b > 0 && src_[b - 1] == '.';
    if (!after_dot && pos_ + 1 < src_.size() && src_[pos_] == '.' && is_digit(src_[pos_ + 1])) {
      ++pos_;
      digits();
      is_float = true;
    }
    if (!after_dot && pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
      size_t p = pos_ + 1;
      if (p < src_.size() && (src_[p] == '+' || src_[p] == '-')) ++p;
      if (p < src_.size() && is_digit(src_[p])) {
        pos_ = p;
        digits();
        is_float = true;
      }
    }
    std::string text;
    for (size_t k = b; k < pos_; ++k)
      if (src_[k] != '_') text += src_[k];
    tokens_.push_back({is_float ? Token::Type::kFloat : Token::Type::kInt, text, line_});
  }

  void lex_string(char quote) {
    size_t b = ++pos_;
    while (pos_ < src_.size() && src_[pos_] != quote) {
      if (src_[pos_] == '\\') ++pos_;
      ++pos_;
    }
    if (pos_ >= src_.size()) throw TemplateSyntaxError("unterminated string", line_);
    std::string body = src_.substr(b, pos_ - b);
    ++pos_;
    tokens_.push_back({Token::Type::kString, unescape(body, line_), line_});
    for (char c : body) line_ += c == '\n';
  }

  void lex_operator() {
    static const char* kTwo[] = {"//", "**", "==", "!=", "<=", ">="};
    for (const char* op : kTwo) {
      if (src_.compare(pos_, 2, op) == 0) {
        tokens_.push_back({Token::Type::kOp, op, line_});
        pos_ += 2;
        return;
      }
    }
    char c = src_[pos_];
    if (std::string_view("+-/*%~<>=()[]{},.:|;").find(c) == std::string_view::npos)
      throw TemplateSyntaxError(std::string("unexpected char '") + c + "'", line_);
    if (c == '(' || c == '[' || c == '{') balance_.push_back(c == '(' ? ')' : c == '[' ? ']' : '}');
    if (c == ')' || c == ']' || c == '}') {
      if (balance_.empty() || balance_.back() != c)
        throw TemplateSyntaxError(std::string("unexpected '") + c + "'", line_);
      balance_.pop_back();
    }
    tokens_.push_back({Token::Type::kOp, std::string(1, c), line_});
    ++pos_;
  }

  std::string src_;
  size_t pos_ = 0;
  int line_ = 1;
  bool line_starting_ = true;
  std::string balance_;
  std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> tokenize(std::string_view source) {
  return Lexer(source).run();
}

}  // namespace hydra::engine::jinja
