#include "engine/chat/py_format.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "engine/chat/error.h"
#include "engine/chat/utf8.h"

namespace hydra::engine::jinja {

namespace {

// Shortest round-trip digits and decimal exponent: v = 0.DIGITS * 10^decpt.
void shortest_digits(double v, std::string& digits, int& decpt) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string_view sci(buf, res.ptr - buf);
  size_t e = sci.find('e');
  std::string_view mant = sci.substr(0, e);
  int exp10 = std::atoi(std::string(sci.substr(e + 1)).c_str());
  digits.clear();
  for (char c : mant)
    if (c >= '0' && c <= '9') digits.push_back(c);
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  decpt = exp10 + 1;
}

}  // namespace

std::string float_repr(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  std::string out = std::signbit(v) ? "-" : "";
  v = std::fabs(v);
  if (v == 0.0) return out + "0.0";
  std::string digits;
  int decpt = 0;
  shortest_digits(v, digits, decpt);
  if (decpt > 16 || decpt < -3) {
    out += digits[0];
    if (digits.size() > 1) out += "." + digits.substr(1);
    int exp = decpt - 1;
    char buf[16];
    std::snprintf(buf, sizeof(buf), "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    return out + buf;
  }
  if (decpt <= 0) return out + "0." + std::string(-decpt, '0') + digits;
  if (static_cast<size_t>(decpt) >= digits.size())
    return out + digits + std::string(decpt - digits.size(), '0') + ".0";
  return out + digits.substr(0, decpt) + "." + digits.substr(decpt);
}

std::string string_repr(std::string_view s) {
  bool has_single = s.find('\'') != std::string_view::npos;
  bool has_double = s.find('"') != std::string_view::npos;
  char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  for (char32_t cp : utf8_decode(s)) {
    char buf[16];
    if (cp == '\\') {
      out += "\\\\";
    } else if (cp == static_cast<char32_t>(quote)) {
      out += '\\';
      out += quote;
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp < 0x20 || (cp >= 0x7F && cp <= 0xA0) || cp == 0xAD) {
      std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned>(cp));
      out += buf;
    } else if (cp == 0x2028 || cp == 0x2029 || (cp >= 0xD800 && cp <= 0xDFFF)) {
      std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(cp));
      out += buf;
    } else {
      utf8_append(out, cp);
    }
  }
  out += quote;
  return out;
}

// ---- json.dumps ----------------------------------------------------------

namespace {

void json_string(std::string& out, std::string_view s, bool ensure_ascii) {
  out += '"';
  auto escape_cp = [&](unsigned cp) {
    char buf[16];  // "\\u" + up to 8 hex digits for any unsigned
    std::snprintf(buf, sizeof(buf), "\\u%04x", cp);
    out += buf;
  };
  for (char32_t cp : utf8_decode(s)) {
    switch (cp) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      default:
        break;
    }
    if (cp < 0x20) {
      escape_cp(cp);
    } else if (ensure_ascii && cp >= 0x7F) {
      if (cp >= 0x10000) {
        unsigned v = cp - 0x10000;
        escape_cp(0xD800 | (v >> 10));
        escape_cp(0xDC00 | (v & 0x3FF));
      } else {
        escape_cp(cp);
      }
    } else {
      utf8_append(out, cp);
    }
  }
  out += '"';
}

std::string json_float(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v < 0 ? "-Infinity" : "Infinity";
  return float_repr(v);
}

std::string json_key(const Value& k) {
  switch (k.type) {
    case Value::Type::kString:
      return k.str;
    case Value::Type::kInt:
      return std::to_string(k.i);
    case Value::Type::kFloat:
      return json_float(k.f);
    case Value::Type::kBool:
      return k.b ? "true" : "false";
    case Value::Type::kNone:
      return "null";
    default:
      fail(std::string("keys must be str, int, float, bool or None, not ") + type_name(k));
  }
}

struct JsonWriter {
  const JsonOptions& opt;
  std::string out;
  int depth = 0;

  void newline() {
    out += '\n';
    for (int i = 0; i < depth; ++i) out += opt.indent;
  }

  void write(const Value& v) {
    switch (v.type) {
      case Value::Type::kNone:
        out += "null";
        return;
      case Value::Type::kBool:
        out += v.b ? "true" : "false";
        return;
      case Value::Type::kInt:
        out += std::to_string(v.i);
        return;
      case Value::Type::kFloat:
        out += json_float(v.f);
        return;
      case Value::Type::kString:
        json_string(out, v.str, opt.ensure_ascii);
        return;
      case Value::Type::kList:
        if (v.is_lazy()) break;
        write_list(*v.list);
        return;
      case Value::Type::kDict:
        write_dict(*v.dict);
        return;
      default:
        break;
    }
    fail(std::string("Object of type ") + type_name(v) + " is not JSON serializable");
  }

  void write_list(const List& l) {
    if (l.empty()) {
      out += "[]";
      return;
    }
    if (++depth > 256) fail("tojson: nesting too deep");
    out += '[';
    for (size_t i = 0; i < l.size(); ++i) {
      if (i) out += opt.item_separator;
      if (opt.pretty) newline();
      write(l[i]);
    }
    --depth;
    if (opt.pretty) newline();
    out += ']';
  }

  void write_dict(const Dict& d) {
    if (d.items.empty()) {
      out += "{}";
      return;
    }
    std::vector<const std::pair<Value, Value>*> items;
    for (const auto& kv : d.items) items.push_back(&kv);
    if (opt.sort_keys) {
      std::stable_sort(items.begin(), items.end(),
                       [](auto* a, auto* b) { return less(a->first, b->first); });
    }
    if (++depth > 256) fail("tojson: nesting too deep");
    out += '{';
    bool first = true;
    for (const auto* kv : items) {
      if (!first) out += opt.item_separator;
      first = false;
      if (opt.pretty) newline();
      json_string(out, json_key(kv->first), opt.ensure_ascii);
      out += opt.key_separator;
      write(kv->second);
    }
    --depth;
    if (opt.pretty) newline();
    out += '}';
  }
};

}  // namespace

std::string json_dumps(const Value& v, const JsonOptions& options) {
  JsonWriter w{options, {}, 0};
  w.write(v);
  return std::move(w.out);
}

// ---- str.format ----------------------------------------------------------

namespace {

struct Spec {
  char fill = ' ';
  char align = 0;  // '<' '>' '^' '='
  char sign = '-';
  bool alt = false;
  bool zero = false;
  int width = 0;
  bool grouping = false;
  int precision = -1;
  char type = 0;
};

Spec parse_spec(std::string_view s) {
  Spec sp;
  size_t i = 0;
  auto is_align = [](char c) { return c == '<' || c == '>' || c == '^' || c == '='; };
  if (s.size() >= 2 && is_align(s[1])) {
    sp.fill = s[0];
    sp.align = s[1];
    i = 2;
  } else if (!s.empty() && is_align(s[0])) {
    sp.align = s[0];
    i = 1;
  }
  if (i < s.size() && (s[i] == '+' || s[i] == '-' || s[i] == ' ')) sp.sign = s[i++];
  if (i < s.size() && s[i] == '#') sp.alt = true, ++i;
  if (i < s.size() && s[i] == '0') sp.zero = true, ++i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    sp.width = sp.width * 10 + (s[i++] - '0');
    if (sp.width > 100000) fail("format: width too large");
  }
  if (i < s.size() && s[i] == ',') sp.grouping = true, ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    sp.precision = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      sp.precision = sp.precision * 10 + (s[i++] - '0');
      if (sp.precision > 1000) fail("format: precision too large");
    }
  }
  if (i < s.size()) sp.type = s[i++];
  if (i != s.size()) fail("Invalid format specifier");
  return sp;
}

std::string pad(std::string body, const Spec& sp, char default_align) {
  size_t len = utf8_length(body);
  if (sp.width <= 0 || len >= static_cast<size_t>(sp.width)) return body;
  size_t n = sp.width - len;
  char align = sp.align ? sp.align : default_align;
  char fill = sp.fill;
  if (!sp.align && sp.zero) {
    fill = '0';
    align = '=';
  }
  std::string f(n, fill);
  if (align == '<') return body + f;
  if (align == '^') return std::string(n / 2, fill) + body + std::string(n - n / 2, fill);
  if (align == '=' && !body.empty() && (body[0] == '-' || body[0] == '+' || body[0] == ' '))
    return body.substr(0, 1) + f + body.substr(1);
  return f + body;
}

std::string with_sign(std::string digits, bool negative, const Spec& sp) {
  if (negative) return "-" + digits;
  if (sp.sign == '+') return "+" + digits;
  if (sp.sign == ' ') return " " + digits;
  return digits;
}

std::string group_thousands(const std::string& digits) {
  std::string out;
  int n = static_cast<int>(digits.size());
  for (int i = 0; i < n; ++i) {
    if (i && (n - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string format_float(double v, const Spec& sp) {
  char type = sp.type;
  int prec = sp.precision;
  if (type == 0 && prec < 0)
    return pad(with_sign(float_repr(std::fabs(v)), std::signbit(v), sp), sp, '>');
  if (type == 0) type = 'g';
  if (prec < 0) prec = 6;
  double x = type == '%' ? std::fabs(v) * 100 : std::fabs(v);
  char conv = type == '%' ? 'f' : (type == 'F' ? 'f' : type);
  if (conv != 'f' && conv != 'e' && conv != 'E' && conv != 'g' && conv != 'G')
    fail(std::string("Unknown format code '") + type + "' for object of type 'float'");
  char fmt[16];
  std::snprintf(fmt, sizeof(fmt), "%%%s.%d%c", sp.alt ? "#" : "", prec, conv);
  char buf[1200];
  std::snprintf(buf, sizeof(buf), fmt, x);
  std::string body = buf;
  if (sp.grouping) {
    size_t dot = body.find_first_not_of("0123456789");
    body =
        group_thousands(body.substr(0, dot)) + (dot == std::string::npos ? "" : body.substr(dot));
  }
  if (type == '%') body += '%';
  return pad(with_sign(body, std::signbit(v) && v != 0.0, sp), sp, '>');
}

std::string format_int(int64_t v, const Spec& sp) {
  uint64_t mag = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  std::string digits;
  switch (sp.type) {
    case 0:
    case 'd':
    case 'n':
      digits = std::to_string(mag);
      break;
    case 'x':
    case 'X':
    case 'o':
    case 'b': {
      int base = sp.type == 'o' ? 8 : sp.type == 'b' ? 2 : 16;
      const char* alphabet = sp.type == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
      do {
        digits.insert(digits.begin(), alphabet[mag % base]);
        mag /= base;
      } while (mag);
      if (sp.alt) digits = std::string("0") + sp.type + digits;
      break;
    }
    case 'c': {
      std::string s;
      utf8_append(s, static_cast<char32_t>(v));
      return pad(s, sp, '<');
    }
    default:
      fail(std::string("Unknown format code '") + sp.type + "' for object of type 'int'");
  }
  if (sp.grouping) digits = group_thousands(digits);
  return pad(with_sign(digits, v < 0, sp), sp, '>');
}

std::string format_value(const Value& v, std::string_view spec_text, char conversion) {
  if (conversion == 'r') return pad(repr(v), parse_spec(spec_text), '<');
  if (conversion == 's' || v.is_undefined()) return pad(to_str(v), parse_spec(spec_text), '<');
  Spec sp = parse_spec(spec_text);
  if (v.type == Value::Type::kFloat) return format_float(v.f, sp);
  if (v.is_int() || (v.is_bool() && sp.type != 0)) {
    int64_t n = v.as_int();
    if (sp.type && std::string_view("eEfFgG%").find(sp.type) != std::string_view::npos)
      return format_float(static_cast<double>(n), sp);
    return format_int(n, sp);
  }
  if (sp.type && sp.type != 's')
    fail(std::string("Unknown format code '") + sp.type + "' for object of type '" + type_name(v) +
         "'");
  std::string s = to_str(v);
  if (sp.precision >= 0) {
    std::u32string cps = utf8_decode(s);
    if (cps.size() > static_cast<size_t>(sp.precision))
      s = utf8_encode(cps.substr(0, sp.precision));
  }
  return pad(s, sp, '<');
}

const Value& format_field(std::string_view name, const CallArgs& args, size_t& auto_index) {
  if (name.empty()) {
    if (auto_index >= args.positional.size())
      fail("Replacement index out of range for positional args tuple");
    return args.positional[auto_index++];
  }
  if (name[0] >= '0' && name[0] <= '9') {
    size_t idx = 0;
    for (char c : name) {
      if (c < '0' || c > '9') fail("format: bad field name");
      idx = idx * 10 + (c - '0');
      if (idx > 1000000) fail("format: bad field name");
    }
    if (idx >= args.positional.size())
      fail("Replacement index out of range for positional args tuple");
    return args.positional[idx];
  }
  for (const auto& kv : args.keyword)
    if (kv.first == name) return kv.second;
  fail("format: missing keyword argument '" + std::string(name) + "'");
}

}  // namespace

std::string python_format(std::string_view fmt, const CallArgs& args) {
  std::string out;
  size_t auto_index = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    char c = fmt[i];
    if (c == '}') {
      if (i + 1 < fmt.size() && fmt[i + 1] == '}') {
        out += '}';
        ++i;
        continue;
      }
      fail("Single '}' encountered in format string");
    }
    if (c != '{') {
      out += c;
      continue;
    }
    if (i + 1 < fmt.size() && fmt[i + 1] == '{') {
      out += '{';
      ++i;
      continue;
    }
    size_t close = fmt.find('}', i);
    if (close == std::string_view::npos) fail("Single '{' encountered in format string");
    std::string_view field = fmt.substr(i + 1, close - i - 1);
    i = close;
    std::string_view spec;
    char conversion = 0;
    size_t colon = field.find(':');
    if (colon != std::string_view::npos) {
      spec = field.substr(colon + 1);
      field = field.substr(0, colon);
    }
    size_t bang = field.find('!');
    if (bang != std::string_view::npos) {
      if (bang + 2 != field.size()) fail("format: bad conversion");
      conversion = field[bang + 1];
      if (conversion != 'r' && conversion != 's' && conversion != 'a')
        fail("format: bad conversion");
      field = field.substr(0, bang);
    }
    out += format_value(format_field(field, args, auto_index), spec, conversion);
  }
  return out;
}

std::string percent_format(std::string_view fmt, const List& args) {
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out += fmt[i];
      continue;
    }
    size_t j = i + 1;
    while (j < fmt.size() &&
           std::string_view("-+ #0123456789.").find(fmt[j]) != std::string_view::npos)
      ++j;
    if (j >= fmt.size()) fail("incomplete format");
    char conv = fmt[j];
    std::string flags(fmt.substr(i + 1, j - i - 1));
    i = j;
    if (conv == '%') {
      out += '%';
      continue;
    }
    if (next >= args.size()) fail("not enough arguments for format string");
    const Value& v = args[next++];
    // Translate the printf-style spec to a format() spec.
    Spec sp;
    size_t k = 0;
    bool left = false;
    for (; k < flags.size() && std::string_view("-+ #0").find(flags[k]) != std::string_view::npos;
         ++k) {
      if (flags[k] == '-') left = true;
      if (flags[k] == '+') sp.sign = '+';
      if (flags[k] == '0') sp.zero = true;
    }
    while (k < flags.size() && flags[k] >= '0' && flags[k] <= '9' && sp.width < 100000)
      sp.width = sp.width * 10 + (flags[k++] - '0');
    if (k < flags.size() && flags[k] == '.') {
      sp.precision = 0;
      while (++k < flags.size() && flags[k] >= '0' && flags[k] <= '9' && sp.precision < 1000)
        sp.precision = sp.precision * 10 + (flags[k] - '0');
    }
    if (left) sp.align = '<', sp.zero = false;
    if (conv == 's' || conv == 'r') {
      std::string s = conv == 's' ? to_str(v) : repr(v);
      if (sp.precision >= 0) s = utf8_encode(utf8_decode(s).substr(0, sp.precision));
      sp.precision = -1;
      out += pad(s, sp, '>');
    } else if (conv == 'd' || conv == 'i') {
      if (!v.is_number()) fail("%d format: a real number is required");
      out += format_int(v.type == Value::Type::kFloat ? static_cast<int64_t>(v.f) : v.as_int(), sp);
    } else if (std::string_view("feEgGxXo").find(conv) != std::string_view::npos) {
      if (!v.is_number()) fail("format: a real number is required");
      sp.type = conv;
      if (conv == 'x' || conv == 'X' || conv == 'o') {
        out += format_int(v.as_int(), sp);
      } else {
        if (sp.precision < 0) sp.precision = 6;
        out += format_float(v.as_double(), sp);
      }
    } else {
      fail(std::string("unsupported format character '") + conv + "'");
    }
  }
  if (next < args.size()) fail("not all arguments converted during string formatting");
  return out;
}

std::string strftime_text(std::string_view fmt, const std::tm& tm) {
  if (fmt.empty()) return "";
  if (fmt.size() > 1000) fail("strftime: format too long");
  std::string f(fmt);
  std::string buf(256 + f.size() * 16, '\0');
  size_t n = std::strftime(buf.data(), buf.size(), f.c_str(), &tm);
  buf.resize(n);
  return buf;
}

}  // namespace hydra::engine::jinja
