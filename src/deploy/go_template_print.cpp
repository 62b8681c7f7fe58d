// Go's fmt rules for the values templates print: %v of ints, float64
// (shortest digits; exponent form below 1e-4 and from 1e6, as strconv's 'g'
// with shortest precision decides), strings, bools, lists "[a b]" and maps
// "map[k:v]" in key order; and printf's verbs.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "deploy/go_template.h"
#include "deploy/go_template_value.h"

namespace hydra::deploy::gotmpl {
namespace {

namespace bj = boost::json;

// Shortest round-trip digits and the decimal exponent of d (d != 0, finite):
// d = 0.DIGITS x 10^dp.
void shortest_digits(double d, std::string& digits, int& dp) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, std::fabs(d), std::chars_format::scientific);
  std::string s(buf, r.ptr);
  size_t e = s.find('e');
  digits.clear();
  for (size_t i = 0; i < e; ++i) {
    if (s[i] != '.') digits += s[i];
  }
  dp = std::stoi(s.substr(e + 1)) + 1;
}

std::string float_g_shortest(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
  if (d == 0) return std::signbit(d) ? "-0" : "0";
  std::string digits;
  int dp = 0;
  shortest_digits(d, digits, dp);
  std::string out = d < 0 ? "-" : "";
  int exp = dp - 1;
  if (exp < -4 || exp >= 6) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, std::fabs(d), std::chars_format::scientific);
    return out + std::string(buf, r.ptr);
  }
  if (dp <= 0) return out + "0." + std::string(static_cast<size_t>(-dp), '0') + digits;
  if (static_cast<size_t>(dp) >= digits.size()) {
    return out + digits + std::string(static_cast<size_t>(dp) - digits.size(), '0');
  }
  return out + digits.substr(0, static_cast<size_t>(dp)) + "." +
         digits.substr(static_cast<size_t>(dp));
}

bool is_int(const bj::value& v) {
  return v.is_int64() || v.is_uint64();
}

// strconv.Quote: printable UTF-8 kept, the rest escaped.
std::string go_quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

struct Spec {
  bool minus = false, plus = false, zero = false, space = false, sharp = false;
  int width = -1;
  int prec = -1;
  char verb = 'v';
};

std::string pad(std::string s, const Spec& sp, bool numeric) {
  if (sp.width < 0 || static_cast<int>(s.size()) >= sp.width) return s;
  size_t n = static_cast<size_t>(sp.width) - s.size();
  if (sp.minus) return s + std::string(n, ' ');
  if (sp.zero && numeric) {
    size_t sign = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    return s.substr(0, sign) + std::string(n, '0') + s.substr(sign);
  }
  return std::string(n, ' ') + s;
}

std::string bad_verb(char verb, const bj::value& v) {
  if (v.is_null()) return std::string("%!") + verb + "(<nil>)";
  return std::string("%!") + verb + "(" + type_name(v) + "=" + print_value(v) + ")";
}

std::string format_int(const bj::value& v, const Spec& sp) {
  int64_t i = v.is_int64() ? v.get_int64() : 0;
  bool neg = v.is_int64() && i < 0;
  uint64_t mag = v.is_uint64() ? v.get_uint64()
                 : neg         ? 0 - static_cast<uint64_t>(i)
                               : static_cast<uint64_t>(i);
  char buf[80];
  std::string body;
  switch (sp.verb) {
    case 'd':
    case 'v':
      body = std::to_string(mag);
      break;
    case 'x':
      std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(mag));
      body = buf;
      break;
    case 'X':
      std::snprintf(buf, sizeof buf, "%llX", static_cast<unsigned long long>(mag));
      body = buf;
      break;
    case 'o':
      std::snprintf(buf, sizeof buf, "%llo", static_cast<unsigned long long>(mag));
      body = buf;
      break;
    case 'b': {
      do {
        body.insert(body.begin(), static_cast<char>('0' + (mag & 1)));
        mag >>= 1;
      } while (mag > 0);
      break;
    }
    case 'c': {
      std::string s;
      uint32_t cp = static_cast<uint32_t>(mag);
      if (cp < 0x80)
        s += static_cast<char>(cp);
      else if (cp < 0x800) {
        s += static_cast<char>(0xC0 | (cp >> 6));
        s += static_cast<char>(0x80 | (cp & 0x3F));
      } else {
        s += static_cast<char>(0xE0 | ((cp >> 12) & 0x0F));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (cp & 0x3F));
      }
      return pad(s, sp, false);
    }
    default:
      return bad_verb(sp.verb, v);
  }
  if (sp.prec >= 0 && static_cast<int>(body.size()) < sp.prec) {
    body.insert(0, static_cast<size_t>(sp.prec) - body.size(), '0');
  }
  if (sp.sharp && sp.verb == 'x') body = "0x" + body;
  if (sp.sharp && sp.verb == 'X') body = "0X" + body;
  std::string sign = neg ? "-" : sp.plus ? "+" : sp.space ? " " : "";
  return pad(sign + body, sp, sp.prec < 0);
}

std::string format_float(double d, const Spec& sp) {
  std::string body;
  if (sp.verb == 'v' || (sp.verb == 'g' && sp.prec < 0)) {
    body = float_g_shortest(d);
  } else if (std::string("eEfFgG").find(sp.verb) != std::string::npos) {
    if (std::isnan(d) || std::isinf(d)) {
      body = float_g_shortest(d);
    } else {
      char fmt[8] = {'%', '.', '*', sp.verb == 'F' ? 'f' : sp.verb, 0};
      char buf[512];
      int prec = sp.prec >= 0 ? sp.prec : 6;
      std::snprintf(buf, sizeof buf, fmt, std::min(prec, 300), d);
      body = buf;
    }
  } else {
    return bad_verb(sp.verb, bj::value(d));
  }
  if (body[0] != '-' && body[0] != '+') {
    if (sp.plus)
      body = "+" + body;
    else if (sp.space)
      body = " " + body;
  }
  return pad(body, sp, true);
}

std::string format_string(const std::string& s, const Spec& sp) {
  switch (sp.verb) {
    case 'v':
    case 's': {
      std::string t = s;
      if (sp.prec >= 0) {
        // Precision counts runes.
        size_t runes = 0, i = 0;
        while (i < t.size() && runes < static_cast<size_t>(sp.prec)) {
          unsigned char c = static_cast<unsigned char>(t[i]);
          i += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
          ++runes;
        }
        t = t.substr(0, std::min(i, t.size()));
      }
      return pad(t, sp, false);
    }
    case 'q':
      return pad(go_quote(s), sp, false);
    case 'x':
    case 'X': {
      std::string out;
      char buf[4];
      for (unsigned char c : s) {
        std::snprintf(buf, sizeof buf, sp.verb == 'x' ? "%02x" : "%02X", c);
        out += buf;
      }
      return pad(out, sp, false);
    }
    default:
      return bad_verb(sp.verb, bj::value(s));
  }
}

std::string format_one(const bj::value& v, const Spec& sp);

std::string format_list(const bj::value& v, const Spec& sp) {
  std::string out = v.is_array() ? "[" : "map[";
  bool first = true;
  if (v.is_array()) {
    for (const auto& e : v.get_array()) {
      if (!first) out += ' ';
      first = false;
      out += format_one(e, sp);
    }
  } else {
    std::vector<std::string> keys;
    for (const auto& kv : v.get_object()) keys.emplace_back(kv.key());
    std::sort(keys.begin(), keys.end());
    for (const auto& k : keys) {
      if (!first) out += ' ';
      first = false;
      out += format_one(bj::value(k), sp) + ":" + format_one(v.get_object().at(k), sp);
    }
  }
  return out + "]";
}

std::string format_one(const bj::value& v, const Spec& sp) {
  if (v.is_string()) return format_string(std::string(v.get_string()), sp);
  if (is_int(v)) return format_int(v, sp);
  if (v.is_double()) return format_float(v.get_double(), sp);
  if (v.is_bool()) {
    if (sp.verb != 'v' && sp.verb != 't') return bad_verb(sp.verb, v);
    return pad(v.get_bool() ? "true" : "false", sp, false);
  }
  if (v.is_array() || v.is_object()) return format_list(v, sp);
  if (sp.verb == 'v' || sp.verb == 's')
    return pad(sp.verb == 'v' ? "<nil>" : "%!s(<nil>)", sp, false);
  return bad_verb(sp.verb, v);
}

// Reads flags, width and precision after '%'; returns false at end of input.
bool read_spec(const std::string& f, size_t& i, Spec& sp, const std::vector<bj::value>& args,
               size_t& argi) {
  for (; i < f.size(); ++i) {
    char c = f[i];
    if (c == '-')
      sp.minus = true;
    else if (c == '+')
      sp.plus = true;
    else if (c == '0')
      sp.zero = !sp.minus;
    else if (c == ' ')
      sp.space = true;
    else if (c == '#')
      sp.sharp = true;
    else
      break;
  }
  auto number = [&](int& out) {
    if (i < f.size() && f[i] == '*') {
      ++i;
      if (argi < args.size() && args[argi].is_int64()) {
        out = static_cast<int>(std::clamp<int64_t>(args[argi].get_int64(), -1000000, 1000000));
        if (out < 0) {
          sp.minus = true;
          out = -out;
        }
      }
      ++argi;
      return;
    }
    int n = -1;
    while (i < f.size() && f[i] >= '0' && f[i] <= '9') {
      n = (n < 0 ? 0 : n) * 10 + (f[i] - '0');
      n = std::min(n, 1000000);
      ++i;
    }
    out = n;
  };
  number(sp.width);
  if (i < f.size() && f[i] == '.') {
    ++i;
    number(sp.prec);
    if (sp.prec < 0) sp.prec = 0;
  }
  if (i >= f.size()) return false;
  sp.verb = f[i++];
  return true;
}

}  // namespace

std::string type_name(const bj::value& v) {
  if (v.is_string()) return "string";
  if (v.is_int64()) return "int";
  if (v.is_uint64()) return "uint64";
  if (v.is_double()) return "float64";
  if (v.is_bool()) return "bool";
  if (v.is_array()) return "[]interface {}";
  if (v.is_object()) return "map[string]interface {}";
  return "<nil>";
}

std::string print_value(const bj::value& v) {
  return format_one(v, Spec{});
}

std::string sprintf_go(const std::string& f, const std::vector<bj::value>& args) {
  std::string out;
  size_t argi = 0;
  for (size_t i = 0; i < f.size();) {
    if (f[i] != '%') {
      out += f[i++];
      continue;
    }
    ++i;
    if (i < f.size() && f[i] == '%') {
      out += '%';
      ++i;
      continue;
    }
    Spec sp;
    if (!read_spec(f, i, sp, args, argi)) {
      out += "%!(NOVERB)";
      break;
    }
    if (argi >= args.size()) {
      out += std::string("%!") + sp.verb + "(MISSING)";
      continue;
    }
    out += format_one(args[argi++], sp);
  }
  if (argi < args.size()) {
    out += "%!(EXTRA ";
    for (size_t k = argi; k < args.size(); ++k) {
      if (k > argi) out += ", ";
      out += args[k].is_null() ? "<nil>" : type_name(args[k]) + "=" + print_value(args[k]);
    }
    out += ")";
  }
  return out;
}

std::string sprint_go(const std::vector<bj::value>& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    // A space goes between operands when neither is a string.
    if (i > 0 && !args[i].is_string() && !args[i - 1].is_string()) out += ' ';
    out += print_value(args[i]);
  }
  return out;
}

std::string sprintln_go(const std::vector<bj::value>& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) out += ' ';
    out += print_value(args[i]);
  }
  return out + "\n";
}

bool truth(const Val& x) {
  if (x.missing) return false;
  const bj::value& v = x.v;
  if (v.is_bool()) return v.get_bool();
  if (v.is_int64()) return v.get_int64() != 0;
  if (v.is_uint64()) return v.get_uint64() != 0;
  if (v.is_double()) return v.get_double() != 0;
  if (v.is_string()) return !v.get_string().empty();
  if (v.is_array()) return !v.get_array().empty();
  if (v.is_object()) return !v.get_object().empty();
  return false;
}

}  // namespace hydra::deploy::gotmpl

namespace hydra::deploy {

std::string go_print(const boost::json::value& v) {
  return gotmpl::print_value(v);
}

}  // namespace hydra::deploy
