#include "store/postgres_sql.h"

#include <charconv>
#include <cmath>
#include <cstring>

namespace hydra::store::pg {
namespace {

// Type OIDs from PostgreSQL's pg_type catalog; stable across releases.
constexpr unsigned kBoolOid = 16;
constexpr unsigned kInt8Oid = 20;
constexpr unsigned kInt2Oid = 21;
constexpr unsigned kInt4Oid = 23;
constexpr unsigned kOidOid = 26;
constexpr unsigned kFloat4Oid = 700;
constexpr unsigned kFloat8Oid = 701;
constexpr unsigned kNumericOid = 1700;

bool ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// Copies SQL to the output, replacing placeholders, one lexical element at a time.
class PlaceholderRewriter {
 public:
  explicit PlaceholderRewriter(std::string_view sql) : sql_(sql) { out_.reserve(sql.size() + 16); }

  std::string run(int* count) {
    while (i_ < sql_.size()) step();
    if (count) *count = n_;
    return std::move(out_);
  }

 private:
  char at(size_t k) const { return k < sql_.size() ? sql_[k] : '\0'; }

  void step() {
    char c = sql_[i_];
    if (c == '\'') {
      bool escapes = i_ > 0 && (sql_[i_ - 1] == 'E' || sql_[i_ - 1] == 'e') &&
                     (i_ < 2 || !ident_char(sql_[i_ - 2]));
      copy_quoted('\'', escapes);
    } else if (c == '"') {
      copy_quoted('"', false);
    } else if (c == '-' && at(i_ + 1) == '-') {
      copy_until_after("\n");
    } else if (c == '/' && at(i_ + 1) == '*') {
      copy_block_comment();
    } else if (c == '$' && (i_ == 0 || !ident_char(sql_[i_ - 1])) && dollar_tag_length() > 0) {
      copy_dollar_quoted();
    } else if (c == '?') {
      out_ += '$';
      out_ += std::to_string(++n_);
      ++i_;
    } else {
      out_ += c;
      ++i_;
    }
  }

  // '...' or "...": a doubled quote stays inside; with E'...' a backslash escapes.
  void copy_quoted(char quote, bool backslash_escapes) {
    out_ += sql_[i_++];
    while (i_ < sql_.size()) {
      char c = sql_[i_++];
      out_ += c;
      if (backslash_escapes && c == '\\' && i_ < sql_.size()) {
        out_ += sql_[i_++];
      } else if (c == quote) {
        if (at(i_) != quote) return;
        out_ += sql_[i_++];
      }
    }
  }

  void copy_until_after(std::string_view end) {
    size_t stop = sql_.find(end, i_);
    stop = stop == std::string_view::npos ? sql_.size() : stop + end.size();
    out_.append(sql_.substr(i_, stop - i_));
    i_ = stop;
  }

  // PostgreSQL block comments nest.
  void copy_block_comment() {
    int depth = 0;
    while (i_ < sql_.size()) {
      if (sql_[i_] == '/' && at(i_ + 1) == '*') {
        ++depth;
        out_ += "/*";
        i_ += 2;
      } else if (sql_[i_] == '*' && at(i_ + 1) == '/') {
        out_ += "*/";
        i_ += 2;
        if (--depth == 0) return;
      } else {
        out_ += sql_[i_++];
      }
    }
  }

  // Length of a $tag$ opener at i_ ("$$" or "$name$"), or 0 when there is none.
  size_t dollar_tag_length() const {
    size_t k = i_ + 1;
    if (at(k) >= '0' && at(k) <= '9') return 0;  // $1 is a parameter, not a tag
    while (k < sql_.size() && ident_char(sql_[k]) && sql_[k] != '$') ++k;
    return at(k) == '$' ? k - i_ + 1 : 0;
  }

  void copy_dollar_quoted() {
    std::string_view tag = sql_.substr(i_, dollar_tag_length());
    size_t body = i_ + tag.size();
    size_t close = sql_.find(tag, body);
    size_t stop = close == std::string_view::npos ? sql_.size() : close + tag.size();
    out_.append(sql_.substr(i_, stop - i_));
    i_ = stop;
  }

  std::string_view sql_;
  size_t i_ = 0;
  int n_ = 0;
  std::string out_;
};

std::optional<double> parse_special_double(std::string_view t) {
  if (t == "NaN") return std::nan("");
  if (t == "Infinity") return HUGE_VAL;
  if (t == "-Infinity") return -HUGE_VAL;
  return std::nullopt;
}

}  // namespace

std::string rewrite_placeholders(std::string_view sql, int* count) {
  return PlaceholderRewriter(sql).run(count);
}

std::optional<std::string> param_text(const Value& v) {
  if (auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  if (auto* d = std::get_if<double>(&v)) {
    if (std::isnan(*d)) return std::string("NaN");
    if (std::isinf(*d)) return std::string(*d > 0 ? "Infinity" : "-Infinity");
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, *d);
    return std::string(buf, res.ptr);
  }
  return std::nullopt;
}

Value decode_cell(unsigned type_oid, std::string_view text) {
  const char* end = text.data() + text.size();
  switch (type_oid) {
    case kBoolOid:
      return int64_t{text == "t" ? 1 : 0};
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid: {
      int64_t n = 0;
      auto res = std::from_chars(text.data(), end, n);
      if (res.ec == std::errc() && res.ptr == end) return n;
      break;
    }
    case kFloat4Oid:
    case kFloat8Oid:
    case kNumericOid: {
      if (auto special = parse_special_double(text)) return *special;
      double d = 0;
      auto res = std::from_chars(text.data(), end, d);
      if (res.ec == std::errc() && res.ptr == end) return d;
      break;
    }
    default:
      break;
  }
  return std::string(text);
}

}  // namespace hydra::store::pg
