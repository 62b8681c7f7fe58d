#pragma once
// The dynamic value a chat template computes with. It mirrors the Python
// objects jinja2 sees when Hugging Face renders a template: JSON data
// (None, bool, int, float, str, list, dict), tuples, namespaces, callables
// and jinja2's Undefined. Lists, dicts and objects are shared by reference
// like Python's, so `ns.x = ...` and `list.append(...)` are visible to
// every holder.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hydra::engine::jinja {

struct Value;
class Interpreter;

using List = std::vector<Value>;

// An insertion-ordered dict. Keys are few in chat data, so a flat vector
// with linear lookup beats a hash map and keeps Python's ordering for free.
struct Dict {
  std::vector<std::pair<Value, Value>> items;

  const Value* find(const Value& key) const;
  Value* find(const Value& key);
  const Value* find(std::string_view key) const;
  void set(Value key, Value value);
  bool erase(const Value& key);
};

struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;

  // Positional i, else keyword `name`, else nullptr.
  const Value* get(size_t i, std::string_view name) const;
};

using NativeFn = std::function<Value(Interpreter&, CallArgs&)>;

struct Callable {
  std::string name;
  NativeFn fn;
};

struct Value {
  enum class Type : uint8_t {
    kUndefined,
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kList,  // list or tuple (is_tuple)
    kDict,
    kObject,  // namespace / loop: attributes in `dict`, class name in `str`
    kCallable,
  };

  Type type = Type::kUndefined;
  bool flag = false;  // kList: is a tuple; kString: is Markup (safe)
  // kList only: jinja2 filters such as map/select return one-shot
  // generators and dict.items() returns a view; both differ from lists in
  // truthiness, len(), indexing and tojson, and templates see that.
  enum class Lazy : uint8_t { kNo, kGenerator, kView };
  Lazy lazy = Lazy::kNo;
  bool b = false;
  int64_t i = 0;
  double f = 0.0;
  std::string str;  // kString text; kUndefined: the missing name; kObject: class
  std::shared_ptr<List> list;
  std::shared_ptr<Dict> dict;
  std::shared_ptr<Callable> fn;

  static Value undefined(std::string hint = {});
  static Value none();
  static Value boolean(bool v);
  static Value integer(int64_t v);
  static Value number(double v);
  static Value string(std::string v, bool safe = false);
  static Value new_list(List items = {});
  static Value tuple(List items);
  static Value generator(List items);
  static Value view(List items, std::string type_name);  // dict_items / dict_keys / ...
  bool is_lazy() const { return type == Type::kList && lazy != Lazy::kNo; }
  static Value new_dict();
  static Value object(std::string class_name);
  static Value callable(std::string name, NativeFn fn);

  bool is_undefined() const { return type == Type::kUndefined; }
  bool is_none() const { return type == Type::kNone; }
  bool is_string() const { return type == Type::kString; }
  bool is_int() const { return type == Type::kInt; }
  bool is_bool() const { return type == Type::kBool; }
  bool is_list() const { return type == Type::kList; }
  bool is_dict() const { return type == Type::kDict; }
  bool is_object() const { return type == Type::kObject; }
  bool is_callable() const { return type == Type::kCallable; }
  // int, float or bool (Python's bool is an int).
  bool is_number() const {
    return type == Type::kInt || type == Type::kFloat || type == Type::kBool;
  }
  double as_double() const;
  // bool and int as an integer; other types throw.
  int64_t as_int() const;
};

// While alive, records every list, dict and object created on this thread
// and empties them on destruction. A template can build reference cycles
// (`ns.me = ns`, `l.append(l)`) that shared ownership alone would leak;
// rendering happens inside an arena, and nothing it built outlives it.
class ValueArena {
 public:
  ValueArena();
  ~ValueArena();
  ValueArena(const ValueArena&) = delete;
  ValueArena& operator=(const ValueArena&) = delete;

  static void track(const std::shared_ptr<List>& l);
  static void track(const std::shared_ptr<Dict>& d);

 private:
  ValueArena* previous_;
  std::vector<std::weak_ptr<List>> lists_;
  std::vector<std::weak_ptr<Dict>> dicts_;
};

// Python truthiness; Undefined is false.
bool truthy(const Value& v);
// Python ==, with Undefined equal only to Undefined.
bool equals(const Value& a, const Value& b);
// Python <; throws TemplateError for unorderable types.
bool less(const Value& a, const Value& b);
// Python str() / repr(), as jinja2 prints values. Undefined prints as "".
std::string to_str(const Value& v);
std::string repr(const Value& v);
// The Python type name, for error messages.
const char* type_name(const Value& v);

}  // namespace hydra::engine::jinja
