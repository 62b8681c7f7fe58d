#include "engine/chat/value.h"

#include <cmath>

#include "engine/chat/error.h"
#include "engine/chat/py_format.h"

namespace hydra::engine::jinja {

const Value* Dict::find(const Value& key) const {
  for (const auto& kv : items)
    if (equals(kv.first, key)) return &kv.second;
  return nullptr;
}

Value* Dict::find(const Value& key) {
  for (auto& kv : items)
    if (equals(kv.first, key)) return &kv.second;
  return nullptr;
}

const Value* Dict::find(std::string_view key) const {
  for (const auto& kv : items)
    if (kv.first.is_string() && kv.first.str == key) return &kv.second;
  return nullptr;
}

void Dict::set(Value key, Value value) {
  if (Value* slot = find(key)) {
    *slot = std::move(value);
    return;
  }
  items.emplace_back(std::move(key), std::move(value));
}

bool Dict::erase(const Value& key) {
  for (auto it = items.begin(); it != items.end(); ++it) {
    if (equals(it->first, key)) {
      items.erase(it);
      return true;
    }
  }
  return false;
}

namespace {
thread_local ValueArena* current_arena = nullptr;
thread_local int nesting = 0;

// Bounds recursion through nested (possibly self-containing) containers.
struct NestingGuard {
  NestingGuard() {
    if (++nesting > 400) {
      nesting = 0;
      fail("value nested too deeply (or contains itself)");
    }
  }
  ~NestingGuard() {
    if (nesting > 0) --nesting;
  }
};
}  // namespace

ValueArena::ValueArena() : previous_(current_arena) {
  current_arena = this;
}

ValueArena::~ValueArena() {
  current_arena = previous_;
  // Move contents out before they die so destruction is not recursive
  // through a long chain of nested containers.
  std::vector<Value> graveyard;
  for (auto& w : lists_) {
    if (auto l = w.lock()) {
      for (auto& v : *l) graveyard.push_back(std::move(v));
      l->clear();
    }
  }
  for (auto& w : dicts_) {
    if (auto d = w.lock()) {
      for (auto& kv : d->items) {
        graveyard.push_back(std::move(kv.first));
        graveyard.push_back(std::move(kv.second));
      }
      d->items.clear();
    }
  }
}

void ValueArena::track(const std::shared_ptr<List>& l) {
  if (current_arena) current_arena->lists_.push_back(l);
}

void ValueArena::track(const std::shared_ptr<Dict>& d) {
  if (current_arena) current_arena->dicts_.push_back(d);
}

const Value* CallArgs::get(size_t i, std::string_view name) const {
  if (i < positional.size()) return &positional[i];
  for (const auto& kv : keyword)
    if (kv.first == name) return &kv.second;
  return nullptr;
}

Value Value::undefined(std::string hint) {
  Value v;
  v.str = std::move(hint);
  return v;
}

Value Value::none() {
  Value v;
  v.type = Type::kNone;
  return v;
}

Value Value::boolean(bool b) {
  Value v;
  v.type = Type::kBool;
  v.b = b;
  return v;
}

Value Value::integer(int64_t i) {
  Value v;
  v.type = Type::kInt;
  v.i = i;
  return v;
}

Value Value::number(double f) {
  Value v;
  v.type = Type::kFloat;
  v.f = f;
  return v;
}

Value Value::string(std::string s, bool safe) {
  Value v;
  v.type = Type::kString;
  v.str = std::move(s);
  v.flag = safe;
  return v;
}

Value Value::new_list(List items) {
  Value v;
  v.type = Type::kList;
  v.list = std::make_shared<List>(std::move(items));
  ValueArena::track(v.list);
  return v;
}

Value Value::tuple(List items) {
  Value v = new_list(std::move(items));
  v.flag = true;
  return v;
}

Value Value::generator(List items) {
  Value v = new_list(std::move(items));
  v.lazy = Lazy::kGenerator;
  v.str = "generator";
  return v;
}

Value Value::view(List items, std::string type_name) {
  Value v = new_list(std::move(items));
  v.lazy = Lazy::kView;
  v.str = std::move(type_name);
  return v;
}

Value Value::new_dict() {
  Value v;
  v.type = Type::kDict;
  v.dict = std::make_shared<Dict>();
  ValueArena::track(v.dict);
  return v;
}

Value Value::object(std::string class_name) {
  Value v;
  v.type = Type::kObject;
  v.str = std::move(class_name);
  v.dict = std::make_shared<Dict>();
  ValueArena::track(v.dict);
  return v;
}

Value Value::callable(std::string name, NativeFn fn) {
  Value v;
  v.type = Type::kCallable;
  v.fn = std::make_shared<Callable>(Callable{std::move(name), std::move(fn)});
  return v;
}

double Value::as_double() const {
  switch (type) {
    case Type::kBool:
      return b ? 1.0 : 0.0;
    case Type::kInt:
      return static_cast<double>(i);
    case Type::kFloat:
      return f;
    default:
      fail(std::string("expected a number, got ") + type_name(*this));
  }
}

int64_t Value::as_int() const {
  switch (type) {
    case Type::kBool:
      return b ? 1 : 0;
    case Type::kInt:
      return i;
    default:
      fail(std::string("expected an integer, got ") + type_name(*this));
  }
}

bool truthy(const Value& v) {
  switch (v.type) {
    case Value::Type::kUndefined:
    case Value::Type::kNone:
      return false;
    case Value::Type::kBool:
      return v.b;
    case Value::Type::kInt:
      return v.i != 0;
    case Value::Type::kFloat:
      return v.f != 0.0;
    case Value::Type::kString:
      return !v.str.empty();
    case Value::Type::kList:
      return v.lazy == Value::Lazy::kGenerator || !v.list->empty();
    case Value::Type::kDict:
      return !v.dict->items.empty();
    default:
      return true;
  }
}

bool equals(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.type == Value::Type::kFloat || b.type == Value::Type::kFloat)
      return a.as_double() == b.as_double();
    return a.as_int() == b.as_int();
  }
  if (a.type != b.type) return false;
  switch (a.type) {
    case Value::Type::kUndefined:
    case Value::Type::kNone:
      return true;
    case Value::Type::kString:
      return a.str == b.str;
    case Value::Type::kList: {
      if (a.flag != b.flag) return false;  // a tuple never equals a list
      if (a.list == b.list) return true;
      if (a.is_lazy() || b.is_lazy()) return false;
      NestingGuard guard;
      if (a.list->size() != b.list->size()) return false;
      for (size_t i = 0; i < a.list->size(); ++i)
        if (!equals((*a.list)[i], (*b.list)[i])) return false;
      return true;
    }
    case Value::Type::kDict: {
      if (a.dict == b.dict) return true;
      NestingGuard guard;
      if (a.dict->items.size() != b.dict->items.size()) return false;
      for (const auto& kv : a.dict->items) {
        const Value* other = b.dict->find(kv.first);
        if (!other || !equals(kv.second, *other)) return false;
      }
      return true;
    }
    case Value::Type::kObject:
      return a.dict == b.dict;
    case Value::Type::kCallable:
      return a.fn == b.fn;
    default:
      return false;
  }
}

bool less(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.type == Value::Type::kFloat || b.type == Value::Type::kFloat)
      return a.as_double() < b.as_double();
    return a.as_int() < b.as_int();
  }
  if (a.is_string() && b.is_string()) return a.str < b.str;  // UTF-8 order = code point order
  if (a.is_list() && b.is_list() && a.flag == b.flag && !a.is_lazy() && !b.is_lazy()) {
    NestingGuard guard;
    const List& x = *a.list;
    const List& y = *b.list;
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (!equals(x[i], y[i])) return less(x[i], y[i]);
    }
    return x.size() < y.size();
  }
  fail(std::string("'<' not supported between instances of '") + type_name(a) + "' and '" +
       type_name(b) + "'");
}

namespace {

std::string container_repr(const Value& v) {
  NestingGuard guard;
  std::string out;
  if (v.is_lazy()) {
    if (v.lazy == Value::Lazy::kGenerator) return "<generator object>";
    Value plain = Value::new_list(*v.list);
    return v.str + "(" + container_repr(plain) + ")";
  }
  if (v.is_list()) {
    out += v.flag ? '(' : '[';
    for (size_t i = 0; i < v.list->size(); ++i) {
      if (i) out += ", ";
      out += repr((*v.list)[i]);
    }
    if (v.flag && v.list->size() == 1) out += ',';
    out += v.flag ? ')' : ']';
    return out;
  }
  out += '{';
  bool first = true;
  for (const auto& kv : v.dict->items) {
    if (!first) out += ", ";
    first = false;
    out += repr(kv.first) + ": " + repr(kv.second);
  }
  out += '}';
  return out;
}

}  // namespace

std::string to_str(const Value& v) {
  switch (v.type) {
    case Value::Type::kUndefined:
      return "";
    case Value::Type::kString:
      return v.str;
    default:
      return repr(v);
  }
}

std::string repr(const Value& v) {
  switch (v.type) {
    case Value::Type::kUndefined:
      return "Undefined";
    case Value::Type::kNone:
      return "None";
    case Value::Type::kBool:
      return v.b ? "True" : "False";
    case Value::Type::kInt:
      return std::to_string(v.i);
    case Value::Type::kFloat:
      return float_repr(v.f);
    case Value::Type::kString:
      return v.flag ? "Markup(" + string_repr(v.str) + ")" : string_repr(v.str);
    case Value::Type::kList:
    case Value::Type::kDict:
      return container_repr(v);
    case Value::Type::kObject:
      if (v.str == "Namespace") {
        Value d;
        d.type = Value::Type::kDict;
        d.dict = v.dict;
        return "<Namespace " + container_repr(d) + ">";
      }
      return "<" + v.str + " object>";
    case Value::Type::kCallable:
      return "<function " + v.fn->name + ">";
  }
  return "";
}

const char* type_name(const Value& v) {
  switch (v.type) {
    case Value::Type::kUndefined:
      return "Undefined";
    case Value::Type::kNone:
      return "NoneType";
    case Value::Type::kBool:
      return "bool";
    case Value::Type::kInt:
      return "int";
    case Value::Type::kFloat:
      return "float";
    case Value::Type::kString:
      return "str";
    case Value::Type::kList:
      return v.is_lazy() ? v.str.c_str() : v.flag ? "tuple" : "list";
    case Value::Type::kDict:
      return "dict";
    case Value::Type::kObject:
      return v.str.c_str();
    case Value::Type::kCallable:
      return "function";
  }
  return "object";
}

}  // namespace hydra::engine::jinja
