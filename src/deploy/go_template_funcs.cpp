// The built-in functions, with Go's comparison rules: operands must be of
// the same basic kind (signed and unsigned integers mix), eq/ne accept any
// number of right-hand operands and treat a missing value as unequal to
// everything, ordering needs numbers or strings.
#include <algorithm>

#include "common/error.h"
#include "deploy/go_template_value.h"

namespace hydra::deploy::gotmpl {
namespace {

namespace bj = boost::json;

enum class Kind { kInvalid, kBool, kInt, kUint, kFloat, kString, kOther };

Kind kind_of(const Val& x) {
  if (x.missing || x.v.is_null()) return Kind::kInvalid;
  if (x.v.is_bool()) return Kind::kBool;
  if (x.v.is_int64()) return Kind::kInt;
  if (x.v.is_uint64()) return Kind::kUint;
  if (x.v.is_double()) return Kind::kFloat;
  if (x.v.is_string()) return Kind::kString;
  return Kind::kOther;
}

[[noreturn]] void call_error(const std::string& fn, const std::string& what) {
  throw ApiError(ErrorCode::kParamError, "template: error calling " + fn + ": " + what, "template");
}

// -1, 0, 1 for an int64 against a uint64.
int cmp_int_uint(int64_t a, uint64_t b) {
  if (a < 0) return -1;
  uint64_t ua = static_cast<uint64_t>(a);
  return ua < b ? -1 : ua > b ? 1 : 0;
}

// Three-way comparison of two operands of comparable kinds; throws otherwise.
int compare(const std::string& fn, const Val& a, const Val& b, bool ordering) {
  Kind ka = kind_of(a), kb = kind_of(b);
  if (ka == Kind::kInvalid || kb == Kind::kInvalid || ka == Kind::kOther || kb == Kind::kOther) {
    call_error(fn, ka == Kind::kOther || kb == Kind::kOther ? "non-comparable type"
                                                            : "invalid type for comparison");
  }
  if (ka == Kind::kInt && kb == Kind::kUint) return cmp_int_uint(a.v.get_int64(), b.v.get_uint64());
  if (ka == Kind::kUint && kb == Kind::kInt)
    return -cmp_int_uint(b.v.get_int64(), a.v.get_uint64());
  if (ka != kb) call_error(fn, "incompatible types for comparison");
  switch (ka) {
    case Kind::kBool:
      if (ordering) call_error(fn, "invalid type for comparison");
      return a.v.get_bool() == b.v.get_bool() ? 0 : 1;
    case Kind::kInt: {
      int64_t x = a.v.get_int64(), y = b.v.get_int64();
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case Kind::kUint: {
      uint64_t x = a.v.get_uint64(), y = b.v.get_uint64();
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case Kind::kFloat: {
      double x = a.v.get_double(), y = b.v.get_double();
      if (x != x || y != y) return 2;  // NaN: unequal and unordered
      return x < y ? -1 : x > y ? 1 : 0;
    }
    default: {
      int c = a.v.get_string().compare(b.v.get_string());
      return c < 0 ? -1 : c > 0 ? 1 : 0;
    }
  }
}

bool equal(const Val& a, const Val& b) {
  Kind ka = kind_of(a), kb = kind_of(b);
  if (ka == Kind::kInvalid || kb == Kind::kInvalid) return ka == kb;
  if (ka == Kind::kOther || kb == Kind::kOther) call_error("eq", "non-comparable types");
  return compare("eq", a, b, false) == 0;
}

Val eq(const std::vector<Val>& args) {
  if (args.size() < 2) call_error("eq", "missing argument for comparison");
  for (size_t i = 1; i < args.size(); ++i) {
    if (equal(args[0], args[i])) return Val{true};
  }
  return Val{false};
}

Val order(const std::string& fn, const std::vector<Val>& args) {
  if (args.size() != 2)
    call_error(fn, "wrong number of args: want 2 got " + std::to_string(args.size()));
  int c = compare(fn, args[0], args[1], true);
  if (c == 2) return Val{false};
  if (fn == "lt") return Val{c < 0};
  if (fn == "le") return Val{c <= 0};
  if (fn == "gt") return Val{c > 0};
  return Val{c >= 0};
}

Val length(const std::vector<Val>& args) {
  if (args.size() != 1) call_error("len", "wrong number of args: want 1");
  const Val& x = args[0];
  if (x.missing || x.v.is_null()) call_error("len", "len of nil pointer");
  if (x.v.is_string()) return Val{static_cast<int64_t>(x.v.get_string().size())};
  if (x.v.is_array()) return Val{static_cast<int64_t>(x.v.get_array().size())};
  if (x.v.is_object()) return Val{static_cast<int64_t>(x.v.get_object().size())};
  call_error("len", "len of type " + type_name(x.v));
}

int64_t index_number(const Val& i) {
  if (i.v.is_int64()) return i.v.get_int64();
  if (i.v.is_uint64()) return static_cast<int64_t>(std::min<uint64_t>(i.v.get_uint64(), INT64_MAX));
  call_error("index", "cannot index slice/array with type " +
                          (i.missing ? std::string("<nil>") : type_name(i.v)));
}

Val index(const std::vector<Val>& args) {
  if (args.empty()) call_error("index", "wrong number of args: want at least 1");
  Val cur = args[0];
  for (size_t k = 1; k < args.size(); ++k) {
    if (cur.missing || cur.v.is_null()) call_error("index", "index of untyped nil");
    const Val& i = args[k];
    if (cur.v.is_array() || cur.v.is_string()) {
      int64_t n = index_number(i);
      int64_t size = cur.v.is_array() ? static_cast<int64_t>(cur.v.get_array().size())
                                      : static_cast<int64_t>(cur.v.get_string().size());
      if (n < 0 || n >= size) call_error("index", "index out of range: " + std::to_string(n));
      if (cur.v.is_array()) {
        cur = Val{cur.v.get_array()[static_cast<size_t>(n)]};
      } else {
        cur = Val{static_cast<int64_t>(
            static_cast<unsigned char>(cur.v.get_string()[static_cast<size_t>(n)]))};
      }
    } else if (cur.v.is_object()) {
      if (!i.v.is_string() || i.missing)
        call_error("index", "value has type " + type_name(i.v) + "; should be string");
      const bj::value* found = cur.v.get_object().if_contains(i.v.get_string());
      cur = found ? Val{*found} : Val{nullptr};
    } else {
      call_error("index", "can't index item of type " + type_name(cur.v));
    }
  }
  return cur;
}

std::vector<bj::value> plain(const std::vector<Val>& args, size_t from = 0) {
  std::vector<bj::value> out;
  for (size_t i = from; i < args.size(); ++i)
    out.push_back(args[i].missing ? bj::value() : args[i].v);
  return out;
}

}  // namespace

Val call_builtin(const std::string& name, const std::vector<Val>& args) {
  if (name == "not") {
    if (args.size() != 1)
      call_error("not", "wrong number of args: want 1 got " + std::to_string(args.size()));
    return Val{!truth(args[0])};
  }
  if (name == "eq") return eq(args);
  if (name == "ne") {
    if (args.size() != 2)
      call_error("ne", "wrong number of args: want 2 got " + std::to_string(args.size()));
    return Val{!equal(args[0], args[1])};
  }
  if (name == "lt" || name == "le" || name == "gt" || name == "ge") return order(name, args);
  if (name == "len") return length(args);
  if (name == "index") return index(args);
  if (name == "print") return Val{bj::string(sprint_go(plain(args)))};
  if (name == "println") return Val{bj::string(sprintln_go(plain(args)))};
  if (name == "printf") {
    if (args.empty() || !args[0].v.is_string() || args[0].missing) {
      call_error("printf", "the format must be a string");
    }
    return Val{bj::string(sprintf_go(std::string(args[0].v.get_string()), plain(args, 1)))};
  }
  call_error(name, "function not defined");
}

}  // namespace hydra::deploy::gotmpl
