// Bound methods of str, dict and list, as templates call them
// (`content.split('</think>')`, `message.get('content', '')`, ...).
#include <algorithm>
#include <optional>
#include <unordered_map>

#include "engine/chat/builtins.h"
#include "engine/chat/error.h"
#include "engine/chat/interpreter.h"
#include "engine/chat/py_format.h"
#include "engine/chat/py_str.h"
#include "engine/chat/utf8.h"

namespace hydra::engine::jinja {

namespace {

using Method = Value (*)(Interpreter&, const Value& self, CallArgs& args);

const Value* arg(const CallArgs& a, size_t i, std::string_view name = {}) {
  return a.get(i, name);
}

void max_args(const CallArgs& a, size_t n, const char* name) {
  if (a.positional.size() + a.keyword.size() > n)
    fail(std::string(name) + "() takes at most " + std::to_string(n) + " argument(s)");
}

std::string need_str(const Value* v, const char* what) {
  if (!v || !v->is_string()) fail(std::string(what) + " must be str");
  return v->str;
}

std::optional<std::string> opt_str(const Value* v, const char* what) {
  if (!v || v->is_none()) return std::nullopt;
  return need_str(v, what);
}

int64_t opt_int(const Value* v, int64_t def) {
  if (!v || v->is_none()) return def;
  if (!v->is_int() && !v->is_bool()) fail("an integer is required");
  return v->as_int();
}

Value str_list(std::vector<std::string> parts) {
  List out;
  for (auto& p : parts) out.push_back(Value::string(std::move(p)));
  return Value::new_list(std::move(out));
}

// ---- str ----

Value s_strip(StripSide side, const Value& self, CallArgs& a) {
  max_args(a, 1, "strip");
  return Value::string(py_strip(self.str, opt_str(arg(a, 0, "chars"), "strip arg"), side));
}

bool affix_match(const Value& self, CallArgs& a, bool prefix) {
  const Value* what = arg(a, 0);
  if (!what) fail("startswith/endswith takes an argument");
  std::vector<std::string> options;
  if (what->is_list() && what->flag) {
    for (const Value& v : *what->list) options.push_back(need_str(&v, "tuple item"));
  } else {
    options.push_back(need_str(what, "startswith/endswith first arg"));
  }
  std::string_view s = self.str;
  std::u32string cps;
  if (a.positional.size() > 1) {
    cps = utf8_decode(s);
    int64_t n = static_cast<int64_t>(cps.size());
    auto fix = [n](int64_t i) { return i < 0 ? std::max<int64_t>(0, i + n) : std::min(i, n); };
    int64_t b = fix(opt_int(arg(a, 1), 0));
    int64_t e = fix(opt_int(arg(a, 2), n));
    if (e < b) return false;
    static thread_local std::string window;
    window = utf8_encode(std::u32string_view(cps).substr(b, e - b));
    s = window;
  }
  for (const auto& o : options) {
    if (prefix ? s.substr(0, o.size()) == o
               : (s.size() >= o.size() && s.substr(s.size() - o.size()) == o))
      return true;
  }
  return false;
}

Value s_split(bool right, const Value& self, CallArgs& a) {
  max_args(a, 2, "split");
  auto sep = opt_str(arg(a, 0, "sep"), "separator");
  int64_t maxsplit = opt_int(arg(a, 1, "maxsplit"), -1);
  return str_list(right ? py_rsplit(self.str, sep, maxsplit) : py_split(self.str, sep, maxsplit));
}

Value s_join(Interpreter& in, const Value& self, CallArgs& a) {
  const Value* seq = arg(a, 0);
  if (!seq) fail("join() takes exactly one argument");
  std::string out;
  bool first = true;
  for (const Value& v : in.iterate(*seq)) {
    if (!v.is_string())
      fail(std::string("sequence item: expected str instance, ") + type_name(v) + " found");
    if (!first) out += self.str;
    first = false;
    out += v.str;
    in.check_size(out.size());
  }
  return Value::string(std::move(out));
}

Value s_pad(const Value& self, CallArgs& a, char align) {
  int64_t width = opt_int(arg(a, 0), 0);
  std::string fill = a.positional.size() > 1 ? need_str(arg(a, 1), "fill") : " ";
  if (utf8_length(fill) != 1) fail("The fill character must be exactly one character long");
  if (width > (1 << 20)) fail("width too large");
  int64_t len = static_cast<int64_t>(utf8_length(self.str));
  if (width <= len) return Value::string(self.str);
  int64_t n = width - len;
  auto rep = [&](int64_t k) {
    std::string r;
    for (int64_t i = 0; i < k; ++i) r += fill;
    return r;
  };
  if (align == '<') return Value::string(self.str + rep(n));
  if (align == '>') return Value::string(rep(n) + self.str);
  int64_t left = n / 2 + (n & width & 1);
  return Value::string(rep(left) + self.str + rep(n - left));
}

Value s_partition(const Value& self, CallArgs& a, bool right) {
  std::string sep = need_str(arg(a, 0), "separator");
  if (sep.empty()) fail("empty separator");
  size_t hit = right ? self.str.rfind(sep) : self.str.find(sep);
  if (hit == std::string::npos) {
    return right ? Value::tuple({Value::string(""), Value::string(""), Value::string(self.str)})
                 : Value::tuple({Value::string(self.str), Value::string(""), Value::string("")});
  }
  return Value::tuple({Value::string(self.str.substr(0, hit)), Value::string(sep),
                       Value::string(self.str.substr(hit + sep.size()))});
}

template <bool (*Pred)(char32_t)>
Value s_is(const Value& self) {
  if (self.str.empty()) return Value::boolean(false);
  for (char32_t c : utf8_decode(self.str))
    if (!Pred(c)) return Value::boolean(false);
  return Value::boolean(true);
}

bool cp_digit(char32_t c) {
  return c >= '0' && c <= '9';
}
bool cp_alpha(char32_t c) {
  return py_is_word(c) && !cp_digit(c) && c != '_';
}
bool cp_alnum(char32_t c) {
  return py_is_word(c) && c != '_';
}

Value s_case_check(const Value& self, bool upper) {
  bool cased = false;
  for (char32_t c : utf8_decode(self.str)) {
    std::string one;
    utf8_append(one, c);
    std::string lo = py_lower(one), up = py_upper(one);
    if (lo == up) continue;
    cased = true;
    if (upper ? one != up : one != lo) return Value::boolean(false);
  }
  return Value::boolean(cased);
}

Value str_method(Interpreter& in, const std::string& name, const Value& self, CallArgs& a) {
  if (name == "strip") return s_strip(StripSide::kBoth, self, a);
  if (name == "lstrip") return s_strip(StripSide::kLeft, self, a);
  if (name == "rstrip") return s_strip(StripSide::kRight, self, a);
  if (name == "split") return s_split(false, self, a);
  if (name == "rsplit") return s_split(true, self, a);
  if (name == "splitlines")
    return str_list(
        py_splitlines(self.str, truthy(a.positional.empty() ? Value() : a.positional[0])));
  if (name == "startswith") return Value::boolean(affix_match(self, a, true));
  if (name == "endswith") return Value::boolean(affix_match(self, a, false));
  if (name == "upper") return Value::string(py_upper(self.str));
  if (name == "lower" || name == "casefold") return Value::string(py_lower(self.str));
  if (name == "title") return Value::string(py_title(self.str));
  if (name == "capitalize") return Value::string(py_capitalize(self.str));
  if (name == "replace") {
    std::string old = need_str(arg(a, 0), "replace arg 1");
    std::string repl = need_str(arg(a, 1), "replace arg 2");
    return Value::string(
        py_replace(self.str, old, repl, opt_int(arg(a, 2, "count"), -1), in.limits().max_items));
  }
  if (name == "format") return Value::string(python_format(self.str, a));
  if (name == "join") return s_join(in, self, a);
  if (name == "find" || name == "rfind" || name == "index" || name == "rindex") {
    int64_t r = py_find(self.str, need_str(arg(a, 0), "substring"), name[0] == 'r');
    if (r < 0 && name.find("index") != std::string::npos) fail("substring not found");
    return Value::integer(r);
  }
  if (name == "count") return Value::integer(py_count(self.str, need_str(arg(a, 0), "substring")));
  if (name == "isdigit" || name == "isnumeric" || name == "isdecimal") return s_is<cp_digit>(self);
  if (name == "isalpha") return s_is<cp_alpha>(self);
  if (name == "isalnum") return s_is<cp_alnum>(self);
  if (name == "isspace") return s_is<py_is_space>(self);
  if (name == "islower") return s_case_check(self, false);
  if (name == "isupper") return s_case_check(self, true);
  if (name == "ljust") return s_pad(self, a, '<');
  if (name == "rjust") return s_pad(self, a, '>');
  if (name == "center") return s_pad(self, a, '^');
  if (name == "partition") return s_partition(self, a, false);
  if (name == "rpartition") return s_partition(self, a, true);
  if (name == "removeprefix" || name == "removesuffix") {
    std::string affix = need_str(arg(a, 0), "affix");
    const std::string& s = self.str;
    if (name == "removeprefix" && s.compare(0, affix.size(), affix) == 0)
      return Value::string(s.substr(affix.size()));
    if (name == "removesuffix" && !affix.empty() && s.size() >= affix.size() &&
        s.compare(s.size() - affix.size(), affix.size(), affix) == 0)
      return Value::string(s.substr(0, s.size() - affix.size()));
    return Value::string(s);
  }
  if (name == "zfill") {
    int64_t width = opt_int(arg(a, 0), 0);
    if (width > (1 << 20)) fail("width too large");
    int64_t len = static_cast<int64_t>(utf8_length(self.str));
    if (width <= len) return Value::string(self.str);
    std::string s = self.str;
    size_t at = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
    s.insert(at, std::string(width - len, '0'));
    return Value::string(s);
  }
  fail("str has no method '" + name + "'");
}

// ---- dict ----

Value dict_method(Interpreter&, const std::string& name, const Value& self, CallArgs& a) {
  Dict& d = *self.dict;
  if (name == "get") {
    const Value* key = arg(a, 0);
    if (!key) fail("get expected at least 1 argument");
    if (const Value* v = d.find(*key)) return *v;
    const Value* def = arg(a, 1);
    return def ? *def : Value::none();
  }
  if (name == "items" || name == "keys" || name == "values") {
    List out;
    for (const auto& kv : d.items) {
      if (name == "items")
        out.push_back(Value::tuple({kv.first, kv.second}));
      else
        out.push_back(name == "keys" ? kv.first : kv.second);
    }
    return Value::view(std::move(out), "dict_" + name);
  }
  if (name == "pop") {
    const Value* key = arg(a, 0);
    if (!key) fail("pop expected at least 1 argument");
    if (const Value* v = d.find(*key)) {
      Value r = *v;
      d.erase(*key);
      return r;
    }
    if (const Value* def = arg(a, 1)) return *def;
    fail("KeyError: " + repr(*key));
  }
  if (name == "setdefault") {
    const Value* key = arg(a, 0);
    if (!key) fail("setdefault expected at least 1 argument");
    if (const Value* v = d.find(*key)) return *v;
    Value def = arg(a, 1) ? *arg(a, 1) : Value::none();
    d.set(*key, def);
    return def;
  }
  if (name == "update") {
    if (const Value* other = arg(a, 0)) {
      if (!other->is_dict()) fail("dict.update needs a mapping");
      auto items = other->dict->items;
      for (auto& kv : items) d.set(kv.first, kv.second);
    }
    for (auto& kv : a.keyword) d.set(Value::string(kv.first), kv.second);
    return Value::none();
  }
  if (name == "copy") {
    Value c = Value::new_dict();
    c.dict->items = d.items;
    return c;
  }
  if (name == "clear") {
    d.items.clear();
    return Value::none();
  }
  fail("dict has no method '" + name + "'");
}

// ---- list ----

Value list_method(Interpreter& in, const std::string& name, const Value& self, CallArgs& a) {
  List& l = *self.list;
  int64_t n = static_cast<int64_t>(l.size());
  bool tuple = self.flag;
  auto mutating = [&] {
    if (tuple) fail("'tuple' object has no attribute '" + name + "'");
  };
  if (name == "append") {
    mutating();
    const Value* v = arg(a, 0);
    if (!v) fail("append() takes exactly one argument");
    in.check_size(l.size() + 1);
    l.push_back(*v);
    return Value::none();
  }
  if (name == "extend") {
    mutating();
    const Value* v = arg(a, 0);
    if (!v) fail("extend() takes exactly one argument");
    List items = in.iterate(*v);
    in.check_size(l.size() + items.size());
    l.insert(l.end(), items.begin(), items.end());
    return Value::none();
  }
  if (name == "pop") {
    mutating();
    int64_t i = opt_int(arg(a, 0), -1);
    if (i < 0) i += n;
    if (n == 0 || i < 0 || i >= n) fail("pop index out of range");
    Value r = l[i];
    l.erase(l.begin() + i);
    return r;
  }
  if (name == "insert") {
    mutating();
    int64_t i = opt_int(arg(a, 0), 0);
    const Value* v = arg(a, 1);
    if (!v) fail("insert expected 2 arguments");
    if (i < 0) i = std::max<int64_t>(0, i + n);
    i = std::min(i, n);
    in.check_size(l.size() + 1);
    l.insert(l.begin() + i, *v);
    return Value::none();
  }
  if (name == "remove") {
    mutating();
    const Value* v = arg(a, 0);
    for (auto it = l.begin(); v && it != l.end(); ++it) {
      if (equals(*it, *v)) {
        l.erase(it);
        return Value::none();
      }
    }
    fail("list.remove(x): x not in list");
  }
  if (name == "index" || name == "count") {
    const Value* v = arg(a, 0);
    if (!v) fail(name + "() takes an argument");
    int64_t count = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (!equals(l[i], *v)) continue;
      if (name == "index") return Value::integer(i);
      ++count;
    }
    if (name == "index") fail("value is not in list");
    return Value::integer(count);
  }
  if (name == "reverse") {
    mutating();
    std::reverse(l.begin(), l.end());
    return Value::none();
  }
  if (name == "copy") {
    mutating();
    return Value::new_list(l);
  }
  if (name == "clear") {
    mutating();
    l.clear();
    return Value::none();
  }
  fail("list has no method '" + name + "'");
}

bool has_method(const Value& self, const std::string& name) {
  static const std::vector<std::string> kStr = {
      "strip",      "lstrip",   "rstrip",    "split",      "rsplit",       "splitlines",
      "startswith", "endswith", "upper",     "lower",      "casefold",     "title",
      "capitalize", "replace",  "format",    "join",       "find",         "rfind",
      "index",      "rindex",   "count",     "isdigit",    "isnumeric",    "isdecimal",
      "isalpha",    "isalnum",  "isspace",   "islower",    "isupper",      "ljust",
      "rjust",      "center",   "partition", "rpartition", "removeprefix", "removesuffix",
      "zfill"};
  static const std::vector<std::string> kDict = {"get",        "items",  "keys", "values", "pop",
                                                 "setdefault", "update", "copy", "clear"};
  static const std::vector<std::string> kList = {"append", "extend", "pop",     "insert", "remove",
                                                 "index",  "count",  "reverse", "copy",   "clear"};
  static const std::vector<std::string> kTuple = {"index", "count"};
  const std::vector<std::string>* names = nullptr;
  if (self.is_string()) names = &kStr;
  if (self.is_dict()) names = &kDict;
  if (self.is_list() && !self.is_lazy()) names = self.flag ? &kTuple : &kList;
  return names && std::find(names->begin(), names->end(), name) != names->end();
}

}  // namespace

Value method_of(const Value& self, const std::string& name) {
  if (!has_method(self, name)) return Value::undefined(name);
  return Value::callable(name, [self, name](Interpreter& in, CallArgs& args) {
    if (self.is_string()) return str_method(in, name, self, args);
    if (self.is_dict()) return dict_method(in, name, self, args);
    return list_method(in, name, self, args);
  });
}

}  // namespace hydra::engine::jinja
