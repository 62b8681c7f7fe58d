// jinja2's built-in filters, plus Hugging Face's tojson (json.dumps without
// HTML escaping, ensure_ascii=False by default).
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "engine/chat/builtins.h"
#include "engine/chat/error.h"
#include "engine/chat/interpreter.h"
#include "engine/chat/parser.h"
#include "engine/chat/py_format.h"
#include "engine/chat/py_str.h"
#include "engine/chat/utf8.h"

namespace hydra::engine::jinja {

namespace {

using Filter = Value (*)(Interpreter&, const Value& v, CallArgs& a);

const Value* arg(const CallArgs& a, size_t i, std::string_view name) {
  return a.get(i, name);
}

bool arg_bool(const CallArgs& a, size_t i, std::string_view name, bool def) {
  const Value* v = arg(a, i, name);
  return v ? truthy(*v) : def;
}

void require_iterable(const Value& v, const char* filter) {
  if (v.is_none() || v.is_number() || v.is_callable() || v.is_object())
    fail(std::string(filter) + ": '" + type_name(v) + "' object is not iterable");
}

// jinja2's make_attrgetter: "a.b.0" walks attributes / items.
Value attr_path(Interpreter& in, const Value& item, const Value& attribute) {
  if (attribute.is_int()) return in.get_item(item, attribute);
  Value cur = item;
  for (const std::string& part : py_split(to_str(attribute), std::string("."), -1)) {
    bool numeric = !part.empty() && std::all_of(part.begin(), part.end(),
                                                [](char c) { return c >= '0' && c <= '9'; });
    if (numeric && part.size() < 18) {
      cur = in.get_item(cur, Value::integer(std::stoll(part)));
    } else {
      cur = in.get_item(cur, Value::string(part));
    }
  }
  return cur;
}

// Sort/unique key: lower-cased strings unless case_sensitive.
Value fold_case(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return Value::string(py_lower(v.str));
  return v;
}

Value f_tojson(Interpreter&, const Value& v, CallArgs& a) {
  JsonOptions opt;
  opt.ensure_ascii = arg_bool(a, 0, "ensure_ascii", false);
  const Value* indent = arg(a, 1, "indent");
  if (indent && !indent->is_none()) {
    opt.pretty = true;
    if (indent->is_string()) {
      opt.indent = indent->str;
    } else {
      int64_t n = indent->as_int();
      if (n > 64) fail("tojson: indent too large");
      opt.indent = std::string(std::max<int64_t>(n, 0), ' ');
    }
    opt.item_separator = ",";
  }
  const Value* seps = arg(a, 2, "separators");
  if (seps && !seps->is_none()) {
    if (!seps->is_list() || seps->list->size() != 2 || !(*seps->list)[0].is_string() ||
        !(*seps->list)[1].is_string())
      fail("tojson: separators must be a pair of strings");
    opt.item_separator = (*seps->list)[0].str;
    opt.key_separator = (*seps->list)[1].str;
  }
  opt.sort_keys = arg_bool(a, 3, "sort_keys", false);
  return Value::string(json_dumps(v, opt));
}

Value f_trim(Interpreter&, const Value& v, CallArgs& a) {
  const Value* chars = arg(a, 0, "chars");
  std::optional<std::string> set;
  if (chars && !chars->is_none()) set = to_str(*chars);
  return Value::string(py_strip(to_str(v), set, StripSide::kBoth));
}

Value f_upper(Interpreter&, const Value& v, CallArgs&) {
  return Value::string(py_upper(to_str(v)));
}
Value f_lower(Interpreter&, const Value& v, CallArgs&) {
  return Value::string(py_lower(to_str(v)));
}
Value f_title(Interpreter&, const Value& v, CallArgs&) {
  return Value::string(jinja_title(to_str(v)));
}
Value f_capitalize(Interpreter&, const Value& v, CallArgs&) {
  return Value::string(py_capitalize(to_str(v)));
}

Value f_length(Interpreter&, const Value& v, CallArgs&) {
  int64_t n = py_len(v);
  if (n < 0) fail(std::string("object of type '") + type_name(v) + "' has no len()");
  return Value::integer(n);
}

Value f_first(Interpreter& in, const Value& v, CallArgs&) {
  require_iterable(v, "first");
  List items = in.iterate(v);
  return items.empty() ? Value::undefined("first") : items.front();
}

Value f_last(Interpreter& in, const Value& v, CallArgs&) {
  require_iterable(v, "last");
  if (v.lazy == Value::Lazy::kGenerator) fail("'generator' object is not reversible");
  List items = in.iterate(v);
  return items.empty() ? Value::undefined("last") : items.back();
}

Value f_join(Interpreter& in, const Value& v, CallArgs& a) {
  require_iterable(v, "join");
  const Value* sep = arg(a, 0, "d");
  const Value* attribute = arg(a, 1, "attribute");
  std::string d = sep ? to_str(*sep) : "";
  std::string out;
  bool first = true;
  for (const Value& item : in.iterate(v)) {
    if (!first) out += d;
    first = false;
    out += to_str(attribute ? attr_path(in, item, *attribute) : item);
    in.check_size(out.size());
  }
  return Value::string(std::move(out));
}

Value f_default(Interpreter&, const Value& v, CallArgs& a) {
  const Value* def = arg(a, 0, "default_value");
  bool boolean = arg_bool(a, 1, "boolean", false);
  if (v.is_undefined() || (boolean && !truthy(v))) return def ? *def : Value::string("");
  return v;
}

Value f_replace(Interpreter& in, const Value& v, CallArgs& a) {
  const Value* old = arg(a, 0, "old");
  const Value* repl = arg(a, 1, "new");
  if (!old || !repl) fail("replace() needs old and new");
  const Value* count = arg(a, 2, "count");
  int64_t n = count && !count->is_none() ? count->as_int() : -1;
  return Value::string(
      py_replace(to_str(v), to_str(*old), to_str(*repl), n, in.limits().max_items));
}

Value f_list(Interpreter& in, const Value& v, CallArgs&) {
  require_iterable(v, "list");
  return Value::new_list(in.iterate(v));
}

Value f_string(Interpreter&, const Value& v, CallArgs&) {
  if (v.is_string()) return v;
  return Value::string(to_str(v));
}

// Python int() of a string: optional sign, digits, surrounding whitespace.
bool parse_int_text(const std::string& text, int64_t base, int64_t& out) {
  std::string s = py_strip(text, std::nullopt, StripSide::kBoth);
  std::string digits;
  for (char c : s)
    if (c != '_') digits += c;
  if (digits.empty()) return false;
  size_t i = (digits[0] == '+' || digits[0] == '-') ? 1 : 0;
  if (i >= digits.size()) return false;
  errno = 0;
  char* end = nullptr;
  long long r = std::strtoll(digits.c_str(), &end, static_cast<int>(base));
  if (errno || *end || !std::isalnum(static_cast<unsigned char>(digits[i]))) return false;
  out = r;
  return true;
}

bool parse_float_text(const std::string& text, double& out) {
  std::string s = py_strip(text, std::nullopt, StripSide::kBoth);
  std::string clean;
  for (char c : s)
    if (c != '_') clean += c;
  if (clean.empty()) return false;
  char* end = nullptr;
  out = std::strtod(clean.c_str(), &end);
  if (*end) return false;
  std::string low = py_lower(clean);
  if (low.find("0x") != std::string::npos) return false;  // strtod accepts hex, Python does not
  return true;
}

Value f_int(Interpreter&, const Value& v, CallArgs& a) {
  const Value* def = arg(a, 0, "default");
  int64_t base = 10;
  if (const Value* b = arg(a, 1, "base")) base = b->as_int();
  if (base < 2 || base > 36) fail("int() base must be >= 2 and <= 36");
  Value fallback = def ? *def : Value::integer(0);
  switch (v.type) {
    case Value::Type::kInt:
    case Value::Type::kBool:
      return Value::integer(v.as_int());
    case Value::Type::kFloat:
      if (!std::isfinite(v.f) || std::fabs(v.f) >= 9.2e18) return fallback;
      return Value::integer(static_cast<int64_t>(v.f));
    case Value::Type::kString: {
      int64_t r;
      if (parse_int_text(v.str, base, r)) return Value::integer(r);
      double d;
      if (parse_float_text(v.str, d) && std::isfinite(d) && std::fabs(d) < 9.2e18)
        return Value::integer(static_cast<int64_t>(d));
      return fallback;
    }
    default:
      return fallback;
  }
}

Value f_float(Interpreter&, const Value& v, CallArgs& a) {
  const Value* def = arg(a, 0, "default");
  Value fallback = def ? *def : Value::number(0.0);
  if (v.is_number()) return Value::number(v.as_double());
  double d;
  if (v.is_string() && parse_float_text(v.str, d)) return Value::number(d);
  return fallback;
}

Value f_abs(Interpreter&, const Value& v, CallArgs&) {
  if (v.type == Value::Type::kFloat) return Value::number(std::fabs(v.f));
  if (!v.is_int() && !v.is_bool())
    fail(std::string("bad operand type for abs(): '") + type_name(v) + "'");
  int64_t x = v.as_int();
  if (x == INT64_MIN) fail("integer overflow");
  return Value::integer(x < 0 ? -x : x);
}

double round_half_even(double x, int64_t digits) {
  // Python rounds the exact binary value; formatting with %.*f does the same.
  if (digits > 300 || digits < -300 || !std::isfinite(x)) return x;
  if (digits >= 0) {
    char buf[512];
    std::snprintf(buf, sizeof(buf), "%.*f", static_cast<int>(digits), x);
    return std::strtod(buf, nullptr);
  }
  double p = std::pow(10.0, static_cast<double>(-digits));
  return std::nearbyint(x / p) * p;
}

Value f_round(Interpreter&, const Value& v, CallArgs& a) {
  int64_t precision = 0;
  if (const Value* p = arg(a, 0, "precision")) precision = p->as_int();
  std::string method = "common";
  if (const Value* m = arg(a, 1, "method")) method = to_str(*m);
  if (method != "common" && method != "ceil" && method != "floor")
    fail("method must be common, ceil or floor");
  if (!v.is_number()) fail("round: a number is required");
  if (method == "common") {
    if (v.type != Value::Type::kFloat) return Value::integer(v.as_int());  // round(int, n) is int
    return Value::number(round_half_even(v.f, precision));
  }
  double p = std::pow(10.0, static_cast<double>(precision));
  double x = v.as_double() * p;
  return Value::number((method == "ceil" ? std::ceil(x) : std::floor(x)) / p);
}

Value f_items(Interpreter&, const Value& v, CallArgs&) {
  if (v.is_undefined()) return Value::new_list();
  if (!v.is_dict()) fail("Can only get item pairs from a mapping.");
  List out;
  for (const auto& kv : v.dict->items) out.push_back(Value::tuple({kv.first, kv.second}));
  return Value::generator(std::move(out));
}

// select / reject / selectattr / rejectattr share one walker.
Value select_common(Interpreter& in, const Value& v, CallArgs& a, bool by_attr, bool keep) {
  require_iterable(v, "select");
  size_t next = 0;
  const Value* attribute = nullptr;
  if (by_attr) {
    if (a.positional.empty()) fail("selectattr needs an attribute");
    attribute = &a.positional[next++];
  }
  std::string test;
  bool has_test = next < a.positional.size();
  if (has_test) test = to_str(a.positional[next++]);
  CallArgs test_args;
  for (size_t i = next; i < a.positional.size(); ++i)
    test_args.positional.push_back(a.positional[i]);
  test_args.keyword = a.keyword;
  List out;
  for (const Value& item : in.iterate(v)) {
    Value subject = attribute ? attr_path(in, item, *attribute) : item;
    bool r = has_test ? apply_test(in, test, subject, test_args) : truthy(subject);
    if (r == keep) out.push_back(item);
  }
  return Value::generator(std::move(out));
}

Value f_select(Interpreter& in, const Value& v, CallArgs& a) {
  return select_common(in, v, a, false, true);
}
Value f_reject(Interpreter& in, const Value& v, CallArgs& a) {
  return select_common(in, v, a, false, false);
}
Value f_selectattr(Interpreter& in, const Value& v, CallArgs& a) {
  return select_common(in, v, a, true, true);
}
Value f_rejectattr(Interpreter& in, const Value& v, CallArgs& a) {
  return select_common(in, v, a, true, false);
}

Value f_map(Interpreter& in, const Value& v, CallArgs& a) {
  require_iterable(v, "map");
  List out;
  const Value* attribute = nullptr;
  for (const auto& kv : a.keyword)
    if (kv.first == "attribute") attribute = &kv.second;
  if (attribute || a.positional.empty()) {
    if (!attribute) fail("map requires a filter name or attribute=");
    const Value* def = nullptr;
    for (const auto& kv : a.keyword)
      if (kv.first == "default") def = &kv.second;
    for (const Value& item : in.iterate(v)) {
      Value r = attr_path(in, item, *attribute);
      out.push_back(r.is_undefined() && def ? *def : r);
    }
    return Value::generator(std::move(out));
  }
  std::string filter = to_str(a.positional[0]);
  CallArgs rest;
  rest.positional.assign(a.positional.begin() + 1, a.positional.end());
  rest.keyword = a.keyword;
  for (const Value& item : in.iterate(v)) {
    CallArgs copy = rest;
    out.push_back(apply_filter(in, filter, item, copy));
  }
  return Value::generator(std::move(out));
}

Value f_unique(Interpreter& in, const Value& v, CallArgs& a) {
  require_iterable(v, "unique");
  bool case_sensitive = arg_bool(a, 0, "case_sensitive", false);
  const Value* attribute = arg(a, 1, "attribute");
  List out, seen;
  for (const Value& item : in.iterate(v)) {
    Value key = fold_case(attribute ? attr_path(in, item, *attribute) : item, case_sensitive);
    if (key.is_list() && !key.flag) fail("unhashable type: 'list'");
    if (key.is_dict()) fail("unhashable type: 'dict'");
    if (std::any_of(seen.begin(), seen.end(), [&](const Value& s) { return equals(s, key); }))
      continue;
    seen.push_back(key);
    out.push_back(item);
  }
  return Value::generator(std::move(out));
}

Value f_reverse(Interpreter& in, const Value& v, CallArgs&) {
  if (v.is_string()) {
    std::u32string cps = utf8_decode(v.str);
    std::reverse(cps.begin(), cps.end());
    return Value::string(utf8_encode(cps));
  }
  require_iterable(v, "reverse");
  if (v.lazy == Value::Lazy::kGenerator) {
    List items = in.iterate(v);  // not reversible: jinja2 falls back to a list
    std::reverse(items.begin(), items.end());
    return Value::new_list(std::move(items));
  }
  List items = in.iterate(v);
  std::reverse(items.begin(), items.end());
  return Value::generator(std::move(items));  // reversed() is an iterator
}

void sort_values(List& items, const std::vector<Value>& keys, bool reverse) {
  std::vector<size_t> order(items.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    return reverse ? less(keys[y], keys[x]) : less(keys[x], keys[y]);
  });
  List sorted;
  for (size_t i : order) sorted.push_back(items[i]);
  items = std::move(sorted);
}

Value f_sort(Interpreter& in, const Value& v, CallArgs& a) {
  require_iterable(v, "sort");
  bool reverse = arg_bool(a, 0, "reverse", false);
  bool case_sensitive = arg_bool(a, 1, "case_sensitive", false);
  const Value* attribute = arg(a, 2, "attribute");
  List items = in.iterate(v);
  std::vector<Value> keys;
  for (const Value& item : items)
    keys.push_back(fold_case(attribute ? attr_path(in, item, *attribute) : item, case_sensitive));
  sort_values(items, keys, reverse);
  return Value::new_list(std::move(items));
}

Value f_dictsort(Interpreter&, const Value& v, CallArgs& a) {
  if (!v.is_dict()) fail("dictsort: a mapping is required");
  bool case_sensitive = arg_bool(a, 0, "case_sensitive", false);
  std::string by = "key";
  if (const Value* b = arg(a, 1, "by")) by = to_str(*b);
  if (by != "key" && by != "value") fail("You can only sort by either \"key\" or \"value\"");
  bool reverse = arg_bool(a, 2, "reverse", false);
  List items;
  std::vector<Value> keys;
  for (const auto& kv : v.dict->items) {
    items.push_back(Value::tuple({kv.first, kv.second}));
    keys.push_back(fold_case(by == "key" ? kv.first : kv.second, case_sensitive));
  }
  sort_values(items, keys, reverse);
  return Value::new_list(std::move(items));
}

Value f_safe(Interpreter&, const Value& v, CallArgs&) {
  return Value::string(to_str(v), true);
}

Value f_escape(Interpreter&, const Value& v, CallArgs&) {
  if (v.is_string() && v.flag) return v;
  return Value::string(html_escape(to_str(v)), true);
}

Value f_indent(Interpreter& in, const Value& v, CallArgs& a) {
  std::string indention = "    ";
  if (const Value* w = arg(a, 0, "width")) {
    if (w->is_string()) {
      indention = w->str;
    } else {
      int64_t n = w->as_int();
      if (n > 1024) fail("indent: width too large");
      indention = std::string(std::max<int64_t>(n, 0), ' ');
    }
  }
  bool first = arg_bool(a, 1, "first", false);
  bool blank = arg_bool(a, 2, "blank", false);
  std::vector<std::string> lines = py_splitlines(to_str(v) + "\n");
  std::string rv;
  if (blank) {
    for (size_t i = 0; i < lines.size(); ++i) rv += (i ? "\n" + indention : "") + lines[i];
  } else {
    rv = lines.empty() ? "" : lines[0];
    for (size_t i = 1; i < lines.size(); ++i) {
      rv += "\n";
      if (!lines[i].empty()) rv += indention;
      rv += lines[i];
      in.check_size(rv.size());
    }
  }
  if (first) rv = indention + rv;
  return Value::string(std::move(rv));
}

Value f_wordcount(Interpreter&, const Value& v, CallArgs&) {
  int64_t n = 0;
  bool in_word = false;
  for (char32_t c : utf8_decode(to_str(v))) {
    bool w = py_is_word(c);
    if (w && !in_word) ++n;
    in_word = w;
  }
  return Value::integer(n);
}

Value f_sum(Interpreter& in, const Value& v, CallArgs& a) {
  require_iterable(v, "sum");
  const Value* attribute = arg(a, 0, "attribute");
  const Value* start = arg(a, 1, "start");
  Value total = start ? *start : Value::integer(0);
  for (const Value& item : in.iterate(v))
    total = binary_op(in, "+", total, attribute ? attr_path(in, item, *attribute) : item);
  return total;
}

Value min_max(Interpreter& in, const Value& v, CallArgs& a, bool want_max) {
  require_iterable(v, "min/max");
  bool case_sensitive = arg_bool(a, 0, "case_sensitive", false);
  const Value* attribute = arg(a, 1, "attribute");
  List items = in.iterate(v);
  if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
  size_t best = 0;
  Value best_key;
  for (size_t i = 0; i < items.size(); ++i) {
    Value key =
        fold_case(attribute ? attr_path(in, items[i], *attribute) : items[i], case_sensitive);
    if (i == 0 || (want_max ? less(best_key, key) : less(key, best_key))) {
      best = i;
      best_key = key;
    }
  }
  return items[best];
}

Value f_min(Interpreter& in, const Value& v, CallArgs& a) {
  return min_max(in, v, a, false);
}
Value f_max(Interpreter& in, const Value& v, CallArgs& a) {
  return min_max(in, v, a, true);
}

Value f_batch(Interpreter& in, const Value& v, CallArgs& a) {
  require_iterable(v, "batch");
  const Value* count = arg(a, 0, "linecount");
  if (!count) fail("batch needs a line count");
  int64_t n = count->as_int();
  if (n <= 0) fail("batch: line count must be positive");
  const Value* fill = arg(a, 1, "fill_with");
  List out, cur;
  for (const Value& item : in.iterate(v)) {
    cur.push_back(item);
    if (static_cast<int64_t>(cur.size()) == n) {
      out.push_back(Value::new_list(std::move(cur)));
      cur.clear();
    }
  }
  if (!cur.empty()) {
    if (fill && !fill->is_none())
      while (static_cast<int64_t>(cur.size()) < n) cur.push_back(*fill);
    out.push_back(Value::new_list(std::move(cur)));
  }
  return Value::generator(std::move(out));
}

Value f_center(Interpreter&, const Value& v, CallArgs& a) {
  int64_t width = 80;
  if (const Value* w = arg(a, 0, "width")) width = w->as_int();
  if (width > (1 << 20)) fail("center: width too large");
  std::string s = to_str(v);
  int64_t len = static_cast<int64_t>(utf8_length(s));
  if (width <= len) return Value::string(s);
  int64_t n = width - len;
  int64_t left = n / 2 + (n & width & 1);
  return Value::string(std::string(left, ' ') + s + std::string(n - left, ' '));
}

Value f_format(Interpreter&, const Value& v, CallArgs& a) {
  if (!a.keyword.empty() && !a.positional.empty())
    fail("can't handle positional and keyword arguments at the same time");
  return Value::string(percent_format(to_str(v), a.positional));
}

Value f_attr(Interpreter& in, const Value& v, CallArgs& a) {
  const Value* name = arg(a, 0, "name");
  if (!name) fail("attr needs a name");
  if (v.is_dict()) return method_of(v, to_str(*name));  // attr() never falls back to items
  return in.get_attr(v, to_str(*name));
}

Value f_count(Interpreter& in, const Value& v, CallArgs& a) {
  return f_length(in, v, a);
}

const std::unordered_map<std::string_view, Filter>& filters() {
  static const std::unordered_map<std::string_view, Filter> table = {
      {"tojson", f_tojson},
      {"trim", f_trim},
      {"upper", f_upper},
      {"lower", f_lower},
      {"title", f_title},
      {"capitalize", f_capitalize},
      {"length", f_length},
      {"count", f_count},
      {"first", f_first},
      {"last", f_last},
      {"join", f_join},
      {"default", f_default},
      {"d", f_default},
      {"replace", f_replace},
      {"list", f_list},
      {"string", f_string},
      {"int", f_int},
      {"float", f_float},
      {"abs", f_abs},
      {"round", f_round},
      {"items", f_items},
      {"select", f_select},
      {"reject", f_reject},
      {"selectattr", f_selectattr},
      {"rejectattr", f_rejectattr},
      {"map", f_map},
      {"unique", f_unique},
      {"reverse", f_reverse},
      {"sort", f_sort},
      {"dictsort", f_dictsort},
      {"safe", f_safe},
      {"escape", f_escape},
      {"e", f_escape},
      {"forceescape", f_escape},
      {"indent", f_indent},
      {"wordcount", f_wordcount},
      {"sum", f_sum},
      {"min", f_min},
      {"max", f_max},
      {"batch", f_batch},
      {"center", f_center},
      {"format", f_format},
      {"attr", f_attr},
  };
  return table;
}

}  // namespace

bool is_known_filter(std::string_view name) {
  // jinja2 filters this interpreter does not implement still parse, as in
  // jinja2, and fail only when a render reaches them.
  static const char* kUnimplemented[] = {"filesizeformat", "groupby",   "pprint",   "random",
                                         "slice",          "striptags", "truncate", "urlencode",
                                         "urlize",         "wordwrap",  "xmlattr"};
  if (filters().count(name)) return true;
  for (const char* n : kUnimplemented)
    if (name == n) return true;
  return false;
}

Value apply_filter(Interpreter& in, const std::string& name, const Value& input, CallArgs& args) {
  auto it = filters().find(name);
  if (it == filters().end()) {
    if (is_known_filter(name)) fail("filter '" + name + "' is not supported");
    fail("No filter named '" + name + "'.");
  }
  return it->second(in, input, args);
}

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace hydra::engine::jinja
