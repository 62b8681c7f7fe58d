// Go's lexer rules that matter for rendering: "{{- " trims the blanks
// before an action, " -}}" the blanks after it; a comment fills a whole
// action; strings may contain "}}".
#include "deploy/go_template_lex.h"

#include <cstdint>

#include "common/error.h"

namespace hydra::deploy::gotmpl {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

[[noreturn]] void fail(size_t line, const std::string& what) {
  throw ApiError(ErrorCode::kParamError, "template: line " + std::to_string(line) + ": " + what,
                 "template");
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Lexer {
 public:
  explicit Lexer(std::string_view src) : s_(src) {}

  std::vector<Token> run() {
    while (pos_ < s_.size()) lex_text();
    push(Tok::kEnd, "", false);
    return std::move(out_);
  }

 private:
  void push(Tok k, std::string text, bool space) {
    out_.push_back(Token{k, std::move(text), space, line_});
  }

  void advance_to(size_t p) {
    for (size_t i = pos_; i < p && i < s_.size(); ++i) {
      if (s_[i] == '\n') ++line_;
    }
    pos_ = p;
  }

  // True when "{{- " starts at p (a trim marker needs a blank after the dash).
  bool left_trim_at(size_t p) const {
    return p + 3 < s_.size() && s_[p + 2] == '-' && is_blank(s_[p + 3]);
  }

  void lex_text() {
    size_t open = s_.find("{{", pos_);
    std::string text(s_.substr(pos_, open == std::string_view::npos ? s_.npos : open - pos_));
    if (trim_next_text_) {
      size_t b = 0;
      while (b < text.size() && is_blank(text[b])) ++b;
      text.erase(0, b);
      trim_next_text_ = false;
    }
    if (open == std::string_view::npos) {
      if (!text.empty()) push(Tok::kText, text, false);
      advance_to(s_.size());
      return;
    }
    bool trim = left_trim_at(open);
    if (trim) {
      while (!text.empty() && is_blank(text.back())) text.pop_back();
    }
    if (!text.empty()) push(Tok::kText, text, false);
    advance_to(open + (trim ? 4 : 2));
    lex_action();
  }

  // Position of a right delimiter at p: 0 none, 2 "}}", 4 " -}}".
  size_t right_at(size_t p, bool* trim) const {
    if (s_.compare(p, 2, "}}") == 0) {
      *trim = false;
      return 2;
    }
    if (p + 3 < s_.size() && is_blank(s_[p]) && s_[p + 1] == '-' &&
        s_.compare(p + 2, 2, "}}") == 0) {
      *trim = true;
      return 4;
    }
    return 0;
  }

  void close_action(size_t p, size_t len, bool trim) {
    advance_to(p + len);
    trim_next_text_ = trim;
  }

  void lex_comment() {
    size_t end = s_.find("*/", pos_ + 2);
    if (end == std::string_view::npos) fail(line_, "unclosed comment");
    bool trim = false;
    size_t after = end + 2;
    size_t len = right_at(after, &trim);
    if (len == 0) fail(line_, "comment ends before closing delimiter");
    close_action(after, len, trim);
  }

  void lex_action() {
    // A comment may follow "{{" or "{{- " directly.
    if (s_.compare(pos_, 2, "/*") == 0) {
      lex_comment();
      return;
    }
    push(Tok::kLeft, "", false);
    bool space = false;
    for (;;) {
      if (pos_ >= s_.size()) fail(line_, "unclosed action");
      bool trim = false;
      size_t len = right_at(pos_, &trim);
      if (len > 0) {
        push(Tok::kRight, "", space);
        close_action(pos_, len, trim);
        return;
      }
      char c = s_[pos_];
      if (is_blank(c)) {  // Go allows actions to span lines
        space = true;
        advance_to(pos_ + 1);
        continue;
      }
      lex_token(space);
      space = false;
    }
  }

  void lex_token(bool space) {
    char c = s_[pos_];
    switch (c) {
      case '|':
        return single(Tok::kPipe, space);
      case '(':
        return single(Tok::kLParen, space);
      case ')':
        return single(Tok::kRParen, space);
      case ',':
        return single(Tok::kComma, space);
      case '=':
        return single(Tok::kAssign, space);
      case ':':
        if (s_.compare(pos_, 2, ":=") != 0) fail(line_, "expected :=");
        push(Tok::kDeclare, ":=", space);
        advance_to(pos_ + 2);
        return;
      case '"':
        return lex_quoted(space);
      case '`':
        return lex_raw(space);
      case '\'':
        return lex_char(space);
      case '$':
        return lex_word(Tok::kVariable, space, pos_ + 1);
      case '.':
        if (pos_ + 1 < s_.size() && is_digit(s_[pos_ + 1])) return lex_number(space);
        if (pos_ + 1 < s_.size() && is_alnum(s_[pos_ + 1])) {
          size_t e = word_end(pos_ + 1);
          push(Tok::kField, std::string(s_.substr(pos_ + 1, e - pos_ - 1)), space);
          advance_to(e);
          return;
        }
        return single(Tok::kDot, space);
      default:
        break;
    }
    if (is_digit(c) || c == '-' || c == '+') return lex_number(space);
    if (is_alnum(c)) return lex_word(Tok::kIdent, space, pos_);
    fail(line_, std::string("unexpected character '") + c + "' in action");
  }

  void single(Tok k, bool space) {
    push(k, std::string(1, s_[pos_]), space);
    advance_to(pos_ + 1);
  }

  size_t word_end(size_t p) const {
    while (p < s_.size() && is_alnum(s_[p])) ++p;
    return p;
  }

  void lex_word(Tok k, bool space, size_t from) {
    size_t e = word_end(from);
    push(k, std::string(s_.substr(pos_, e - pos_)), space);
    advance_to(e);
  }

  void lex_number(bool space) {
    size_t p = pos_;
    if (s_[p] == '-' || s_[p] == '+') ++p;
    size_t digits = p;
    while (p < s_.size() &&
           (is_alnum(s_[p]) || s_[p] == '.' ||
            ((s_[p] == '-' || s_[p] == '+') && p > 0 &&
             (s_[p - 1] == 'e' || s_[p - 1] == 'E' || s_[p - 1] == 'p' || s_[p - 1] == 'P')))) {
      ++p;
    }
    if (p == digits) fail(line_, "bad number syntax: \"" + std::string(s_.substr(pos_, 1)) + "\"");
    push(Tok::kNumber, std::string(s_.substr(pos_, p - pos_)), space);
    advance_to(p);
  }

  uint32_t hex_digits(size_t& p, int n) {
    uint32_t v = 0;
    for (int i = 0; i < n; ++i, ++p) {
      if (p >= s_.size()) fail(line_, "unterminated escape");
      char h = s_[p];
      int d = is_digit(h)              ? h - '0'
              : (h >= 'a' && h <= 'f') ? h - 'a' + 10
              : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                       : -1;
      if (d < 0) fail(line_, "bad escape in quoted string");
      v = v * 16 + static_cast<uint32_t>(d);
    }
    return v;
  }

  // One escape after the backslash at p; appends its bytes.
  void escape(size_t& p, std::string& out) {
    char e = s_[p++];
    switch (e) {
      case 'n':
        out += '\n';
        return;
      case 't':
        out += '\t';
        return;
      case 'r':
        out += '\r';
        return;
      case 'a':
        out += '\a';
        return;
      case 'b':
        out += '\b';
        return;
      case 'f':
        out += '\f';
        return;
      case 'v':
        out += '\v';
        return;
      case '\\':
        out += '\\';
        return;
      case '"':
        out += '"';
        return;
      case '\'':
        out += '\'';
        return;
      case 'x':
        out += static_cast<char>(hex_digits(p, 2));
        return;
      case 'u':
        append_utf8(out, hex_digits(p, 4));
        return;
      case 'U':
        append_utf8(out, hex_digits(p, 8) & 0x1FFFFF);
        return;
      default:
        if (e >= '0' && e <= '7' && p + 1 < s_.size()) {
          int v = (e - '0') * 64 + (s_[p] - '0') * 8 + (s_[p + 1] - '0');
          p += 2;
          out += static_cast<char>(v & 0xFF);
          return;
        }
        fail(line_, "unknown escape sequence in quoted string");
    }
  }

  void lex_quoted(bool space) {
    std::string out;
    size_t p = pos_ + 1;
    for (;;) {
      if (p >= s_.size() || s_[p] == '\n') fail(line_, "unterminated quoted string");
      char c = s_[p++];
      if (c == '"') break;
      if (c == '\\') {
        if (p >= s_.size()) fail(line_, "unterminated quoted string");
        escape(p, out);
        continue;
      }
      out += c;
    }
    push(Tok::kString, out, space);
    advance_to(p);
  }

  void lex_raw(bool space) {
    size_t end = s_.find('`', pos_ + 1);
    if (end == std::string_view::npos) fail(line_, "unterminated raw quoted string");
    std::string out;
    for (char c : s_.substr(pos_ + 1, end - pos_ - 1)) {
      if (c != '\r') out += c;  // Go drops carriage returns from raw strings
    }
    push(Tok::kString, out, space);
    advance_to(end + 1);
  }

  void lex_char(bool space) {
    size_t p = pos_ + 1;
    if (p >= s_.size()) fail(line_, "unterminated character constant");
    std::string bytes;
    if (s_[p] == '\\') {
      ++p;
      if (p >= s_.size()) fail(line_, "unterminated character constant");
      escape(p, bytes);
    } else {
      while (p < s_.size() && s_[p] != '\'' && s_[p] != '\n') bytes += s_[p++];
    }
    if (p >= s_.size() || s_[p] != '\'' || bytes.empty()) {
      fail(line_, "unterminated character constant");
    }
    // Decode one UTF-8 sequence (or a single byte) to its code point.
    uint32_t cp = static_cast<unsigned char>(bytes[0]);
    size_t n = cp < 0x80 ? 1 : cp < 0xE0 ? 2 : cp < 0xF0 ? 3 : 4;
    if (bytes.size() == n && n > 1) {
      cp &= (0x7F >> n);
      for (size_t i = 1; i < n; ++i) cp = (cp << 6) | (static_cast<unsigned char>(bytes[i]) & 0x3F);
    } else if (bytes.size() != 1) {
      fail(line_, "malformed character constant");
    }
    push(Tok::kChar, std::to_string(cp), space);
    advance_to(p + 1);
  }

  std::string_view s_;
  size_t pos_ = 0;
  size_t line_ = 1;
  bool trim_next_text_ = false;
  std::vector<Token> out_;
};

}  // namespace

std::vector<Token> lex(std::string_view src) {
  return Lexer(src).run();
}

}  // namespace hydra::deploy::gotmpl
