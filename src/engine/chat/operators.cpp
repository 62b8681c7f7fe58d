// Python arithmetic, concatenation, membership and slicing on Values.
#include <cmath>

#include "engine/chat/builtins.h"
#include "engine/chat/error.h"
#include "engine/chat/interpreter.h"
#include "engine/chat/utf8.h"

namespace hydra::engine::jinja {

namespace {

[[noreturn]] void unsupported(std::string_view op, const Value& a, const Value& b) {
  if (a.is_undefined()) fail("'" + a.str + "' is undefined");
  if (b.is_undefined()) fail("'" + b.str + "' is undefined");
  fail("unsupported operand type(s) for " + std::string(op) + ": '" + type_name(a) + "' and '" +
       type_name(b) + "'");
}

void check_overflow(bool overflow) {
  if (overflow) fail("integer overflow");
}

Value int_pow(int64_t base, int64_t exp) {
  if (exp < 0) return Value::number(std::pow(static_cast<double>(base), static_cast<double>(exp)));
  int64_t result = 1;
  while (exp > 0) {
    if (exp & 1) check_overflow(__builtin_mul_overflow(result, base, &result));
    exp >>= 1;
    if (exp) check_overflow(__builtin_mul_overflow(base, base, &base));
  }
  return Value::integer(result);
}

double float_floordiv(double a, double b) {
  double mod = std::fmod(a, b);
  double div = (a - mod) / b;
  if (mod != 0.0 && ((b < 0) != (mod < 0))) div -= 1.0;
  if (div == 0.0) return std::copysign(0.0, a / b);
  double floored = std::floor(div);
  if (div - floored > 0.5) floored += 1.0;
  return floored;
}

double float_mod(double a, double b) {
  double mod = std::fmod(a, b);
  if (mod != 0.0) {
    if ((b < 0) != (mod < 0)) mod += b;
  } else {
    mod = std::copysign(0.0, b);
  }
  return mod;
}

Value arithmetic(std::string_view op, const Value& a, const Value& b) {
  bool use_float = a.type == Value::Type::kFloat || b.type == Value::Type::kFloat || op == "/";
  if (use_float) {
    double x = a.as_double(), y = b.as_double();
    if (op == "+") return Value::number(x + y);
    if (op == "-") return Value::number(x - y);
    if (op == "*") return Value::number(x * y);
    if (op == "**") {
      if (x == 0.0 && y < 0) fail("0.0 cannot be raised to a negative power");
      return Value::number(std::pow(x, y));
    }
    if (y == 0.0) fail("division by zero");
    if (op == "/") return Value::number(x / y);
    if (op == "//") return Value::number(float_floordiv(x, y));
    if (op == "%") return Value::number(float_mod(x, y));
  } else {
    int64_t x = a.as_int(), y = b.as_int(), r = 0;
    if (op == "+" || op == "-" || op == "*") {
      bool overflow = op == "+"   ? __builtin_add_overflow(x, y, &r)
                      : op == "-" ? __builtin_sub_overflow(x, y, &r)
                                  : __builtin_mul_overflow(x, y, &r);
      check_overflow(overflow);
      return Value::integer(r);
    }
    if (op == "**") {
      if (x == 0 && y < 0) fail("0.0 cannot be raised to a negative power");
      return int_pow(x, y);
    }
    if (y == 0) fail("integer division or modulo by zero");
    if (x == INT64_MIN && y == -1) fail("integer overflow");
    int64_t q = x / y, m = x % y;
    if (m != 0 && ((m < 0) != (y < 0))) {
      q -= 1;
      m += y;
    }
    if (op == "//") return Value::integer(q);
    if (op == "%") return Value::integer(m);
  }
  fail("unknown operator " + std::string(op));
}

Value repeat(Interpreter& in, const Value& seq, int64_t n) {
  if (n <= 0) return seq.is_string() ? Value::string("") : Value::new_list();
  size_t unit = seq.is_string() ? seq.str.size() : seq.list->size();
  if (unit && static_cast<uint64_t>(n) > in.limits().max_items / unit) in.check_size(SIZE_MAX);
  if (seq.is_string()) {
    std::string out;
    for (int64_t i = 0; i < n; ++i) out += seq.str;
    return Value::string(std::move(out));
  }
  List out;
  for (int64_t i = 0; i < n; ++i) out.insert(out.end(), seq.list->begin(), seq.list->end());
  Value v = Value::new_list(std::move(out));
  v.flag = seq.flag;
  return v;
}

}  // namespace

Value binary_op(Interpreter& in, std::string_view op, const Value& a, const Value& b) {
  if (op == "~") return Value::string(to_str(a) + to_str(b));
  if (a.is_number() && b.is_number()) return arithmetic(op, a, b);
  if (op == "+") {
    if (a.is_string() && b.is_string()) {
      // Markup + str escapes the plain side, as markupsafe does.
      if (a.flag != b.flag)
        return Value::string(a.flag ? a.str + html_escape(b.str) : html_escape(a.str) + b.str,
                             true);
      return Value::string(a.str + b.str, a.flag);
    }
    if (a.is_list() && b.is_list() && a.flag == b.flag && !a.is_lazy() && !b.is_lazy()) {
      in.check_size(a.list->size() + b.list->size());
      List out = *a.list;
      out.insert(out.end(), b.list->begin(), b.list->end());
      Value v = Value::new_list(std::move(out));
      v.flag = a.flag;
      return v;
    }
  }
  if (op == "*") {
    auto repeatable = [](const Value& v) { return v.is_string() || (v.is_list() && !v.is_lazy()); };
    if (repeatable(a) && (b.is_int() || b.is_bool())) return repeat(in, a, b.as_int());
    if (repeatable(b) && (a.is_int() || a.is_bool())) return repeat(in, b, a.as_int());
  }
  if (op == "%" && a.is_string()) fail("printf-style % on strings is not supported; use |format");
  unsupported(op, a, b);
}

bool contains(const Value& container, const Value& item) {
  switch (container.type) {
    case Value::Type::kUndefined:
      return false;
    case Value::Type::kString:
      if (!item.is_string()) {
        if (item.is_undefined()) fail("'" + item.str + "' is undefined");
        fail(std::string("'in <string>' requires string as left operand, not ") + type_name(item));
      }
      return container.str.find(item.str) != std::string::npos;
    case Value::Type::kList:
      if (container.lazy == Value::Lazy::kGenerator) {
        // Membership consumes a generator up to the match, as in Python.
        List& items = *container.list;
        for (size_t i = 0; i < items.size(); ++i) {
          if (equals(items[i], item)) {
            items.erase(items.begin(), items.begin() + i + 1);
            return true;
          }
        }
        items.clear();
        return false;
      }
      for (const Value& v : *container.list)
        if (equals(v, item)) return true;
      return false;
    case Value::Type::kDict:
      return container.dict->find(item) != nullptr;
    default:
      fail(std::string("argument of type '") + type_name(container) + "' is not iterable");
  }
}

int64_t py_len(const Value& v) {
  switch (v.type) {
    case Value::Type::kUndefined:
      return 0;
    case Value::Type::kString:
      return static_cast<int64_t>(utf8_length(v.str));
    case Value::Type::kList:
      return v.lazy == Value::Lazy::kGenerator ? -1 : static_cast<int64_t>(v.list->size());
    case Value::Type::kDict:
      return static_cast<int64_t>(v.dict->items.size());
    default:
      return -1;
  }
}

namespace {

// Python's slice.indices(): clamps start/stop for a sequence of length n.
bool slice_index(const Value& v, int64_t& out) {
  if (v.is_none()) return false;
  if (!v.is_int() && !v.is_bool()) throw std::invalid_argument("slice");
  out = v.as_int();
  return true;
}

}  // namespace

Value slice_of(const Value& v, const Value& start_v, const Value& stop_v, const Value& step_v) {
  if ((!v.is_list() && !v.is_string()) || v.is_lazy()) return Value::undefined();
  int64_t start = 0, stop = 0, step = 1;
  bool has_start, has_stop;
  try {
    has_start = slice_index(start_v, start);
    has_stop = slice_index(stop_v, stop);
    if (slice_index(step_v, step) && step == 0) fail("slice step cannot be zero");
  } catch (const std::invalid_argument&) {
    return Value::undefined();  // jinja2 turns the TypeError into Undefined
  }
  std::u32string cps;
  if (v.is_string()) cps = utf8_decode(v.str);
  const int64_t n =
      v.is_string() ? static_cast<int64_t>(cps.size()) : static_cast<int64_t>(v.list->size());
  auto clamp = [&](int64_t i, bool given, bool is_start) {
    if (!given) return step > 0 ? (is_start ? 0 : n) : (is_start ? n - 1 : -1);
    if (i < 0) {
      i += n;
      if (i < 0) i = step > 0 ? 0 : -1;
    } else if (i >= n) {
      i = step > 0 ? n : n - 1;
    }
    return i;
  };
  start = clamp(start, has_start, true);
  stop = clamp(stop, has_stop, false);
  std::vector<int64_t> idx;
  __int128 count = 0;
  __int128 st = step;
  if (step > 0 && stop > start) count = (static_cast<__int128>(stop) - start - 1) / st + 1;
  if (step < 0 && start > stop) count = (static_cast<__int128>(start) - stop - 1) / -st + 1;
  for (__int128 k = 0; k < count; ++k) idx.push_back(static_cast<int64_t>(start + k * st));
  if (v.is_string()) {
    std::u32string out;
    for (int64_t i : idx) out += cps[i];
    return Value::string(utf8_encode(out));
  }
  List out;
  for (int64_t i : idx) out.push_back((*v.list)[i]);
  Value r = Value::new_list(std::move(out));
  r.flag = v.flag;
  return r;
}

}  // namespace hydra::engine::jinja
