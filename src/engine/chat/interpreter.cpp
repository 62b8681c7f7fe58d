#include "engine/chat/interpreter.h"

#include "engine/chat/builtins.h"
#include "engine/chat/error.h"
#include "engine/chat/parser.h"
#include "engine/chat/utf8.h"

namespace hydra::engine::jinja {

namespace {

using K = Expr::Kind;
using SK = Stmt::Kind;

struct CallDepth {
  int& depth;
  CallDepth(int& d, int limit) : depth(d) {
    if (++depth > limit) fail("maximum recursion depth exceeded in template");
  }
  ~CallDepth() { --depth; }
};

}  // namespace

Interpreter::Interpreter(const RenderLimits& limits, const Value& globals, const Value& context)
    : limits_(limits), globals_(globals) {
  if (context.is_dict()) {
    for (const auto& kv : context.dict->items)
      if (kv.first.is_string()) root_.vars.emplace_back(kv.first.str, kv.second);
  }
}

std::string Interpreter::render(const Body& body) {
  std::string out;
  exec_body(body, out);
  return out;
}

void Interpreter::step() {
  if (++steps_ > limits_.max_steps) fail("template exceeded its evaluation budget");
}

void Interpreter::check_size(size_t n) const {
  if (n > limits_.max_items) fail("template built a value larger than the limit");
}

void Interpreter::append(std::string& out, std::string_view text) const {
  if (out.size() + text.size() > limits_.max_output) fail("template output exceeds the limit");
  out.append(text);
}

Value Interpreter::lookup(const std::string& name) const {
  for (const Frame* f = frame_; f; f = f->parent) {
    for (auto it = f->vars.rbegin(); it != f->vars.rend(); ++it)
      if (it->first == name) return it->second;
  }
  if (const Value* g = globals_.is_dict() ? globals_.dict->find(name) : nullptr) return *g;
  return Value::undefined(name);
}

void Interpreter::assign(const std::string& name, Value v) {
  for (auto& kv : frame_->vars) {
    if (kv.first == name) {
      kv.second = std::move(v);
      return;
    }
  }
  frame_->vars.emplace_back(name, std::move(v));
}

// ---- statements ----------------------------------------------------------

Interpreter::Flow Interpreter::exec_body(const Body& body, std::string& out) {
  for (const Stmt& s : body) {
    Flow f = exec(s, out);
    if (f != Flow::kNormal) return f;
  }
  return Flow::kNormal;
}

Interpreter::Flow Interpreter::exec(const Stmt& s, std::string& out) {
  step();
  switch (s.kind) {
    case SK::kText:
      append(out, s.text);
      return Flow::kNormal;
    case SK::kOutput:
      append(out, to_str(eval(*s.expr)));
      return Flow::kNormal;
    case SK::kIf:
      return exec_body(truthy(eval(*s.expr)) ? s.body : s.else_body, out);
    case SK::kFor:
      return exec_for(s, out);
    case SK::kSet:
      exec_set(s);
      return Flow::kNormal;
    case SK::kSetBlock: {
      std::string text;
      {
        Frame inner{{}, frame_};
        Frame* saved = frame_;
        frame_ = &inner;
        try {
          exec_body(s.body, text);
        } catch (...) {
          frame_ = saved;
          throw;
        }
        frame_ = saved;
      }
      Value v = Value::string(std::move(text));
      if (s.expr) v = eval_filter(*s.expr, &v);
      if (!s.text.empty()) {
        Value ns = lookup(s.targets[0]);
        if (!ns.is_object() || ns.str != "Namespace")
          fail("cannot assign attribute on non-namespace object");
        ns.dict->set(Value::string(s.text), std::move(v));
      } else {
        assign(s.targets[0], std::move(v));
      }
      return Flow::kNormal;
    }
    case SK::kMacro:
      exec_macro(s);
      return Flow::kNormal;
    case SK::kCallBlock:
      exec_call_block(s, out);
      return Flow::kNormal;
    case SK::kFilterBlock: {
      std::string text;
      exec_body(s.body, text);
      Value v = Value::string(std::move(text));
      append(out, to_str(eval_filter(*s.expr, &v)));
      return Flow::kNormal;
    }
    case SK::kBreak:
      return Flow::kBreak;
    case SK::kContinue:
      return Flow::kContinue;
    case SK::kScope:
      return exec_body(s.body, out);
  }
  return Flow::kNormal;
}

void Interpreter::bind_targets(const std::vector<std::string>& targets, const Value& v) {
  if (targets.size() == 1) {
    assign(targets[0], v);
    return;
  }
  List items = iterate(v);
  if (items.size() != targets.size()) {
    fail("cannot unpack " + std::to_string(items.size()) + " values into " +
         std::to_string(targets.size()) + " names");
  }
  for (size_t i = 0; i < targets.size(); ++i) assign(targets[i], items[i]);
}

Interpreter::Flow Interpreter::exec_for(const Stmt& s, std::string& out) {
  if (s.recursive) fail("recursive loops are not supported");
  Value seq = eval(*s.expr);
  if (seq.is_none() || seq.is_number() || seq.is_callable() || seq.is_object())
    fail(std::string("'") + type_name(seq) + "' object is not iterable");
  List items = iterate(seq);
  Frame* saved = frame_;
  struct Restore {
    Frame*& slot;
    Frame* value;
    ~Restore() { slot = value; }
  } restore{frame_, saved};

  if (s.cond) {
    List kept;
    for (const Value& item : items) {
      Frame f{{}, saved};
      frame_ = &f;
      bind_targets(s.targets, item);
      if (truthy(eval(*s.cond))) kept.push_back(item);
      frame_ = saved;
    }
    items = std::move(kept);
  }
  if (items.empty()) {
    frame_ = saved;
    return exec_body(s.else_body, out);
  }

  const int64_t n = static_cast<int64_t>(items.size());
  Value loop = Value::object("LoopContext");
  std::weak_ptr<Dict> weak_loop = loop.dict;
  Value cycle = Value::callable("cycle", [weak_loop](Interpreter&, CallArgs& args) {
    if (args.positional.empty()) fail("no items for cycling given");
    auto d = weak_loop.lock();
    const Value* index0 = d ? d->find("index0") : nullptr;
    if (!index0) fail("loop.cycle used outside its loop");
    int64_t idx = index0->i;
    return args.positional[idx % args.positional.size()];
  });
  static const char* kSlots[] = {"index",  "index0", "revindex", "revindex0", "first",    "last",
                                 "length", "depth",  "depth0",   "previtem",  "nextitem", "cycle"};
  Dict& d = *loop.dict;
  for (const char* name : kSlots) d.items.emplace_back(Value::string(name), Value());
  d.items[6].second = Value::integer(n);
  d.items[7].second = Value::integer(1);
  d.items[8].second = Value::integer(0);
  d.items[11].second = cycle;
  for (int64_t i = 0; i < n; ++i) {
    step();
    // Slots are updated in place: a loop iteration must stay cheap.
    d.items[0].second = Value::integer(i + 1);
    d.items[1].second = Value::integer(i);
    d.items[2].second = Value::integer(n - i);
    d.items[3].second = Value::integer(n - i - 1);
    d.items[4].second = Value::boolean(i == 0);
    d.items[5].second = Value::boolean(i == n - 1);
    d.items[9].second = i > 0 ? items[i - 1] : Value::undefined("previtem");
    d.items[10].second = i + 1 < n ? items[i + 1] : Value::undefined("nextitem");
    Frame f{{}, saved};
    frame_ = &f;
    bind_targets(s.targets, items[i]);
    f.vars.emplace_back("loop", loop);
    Flow flow = exec_body(s.body, out);
    frame_ = saved;
    if (flow == Flow::kBreak) break;
  }
  return Flow::kNormal;
}

void Interpreter::exec_set(const Stmt& s) {
  Value v = eval(*s.expr);
  if (!s.text.empty()) {
    Value ns = lookup(s.targets[0]);
    if (!ns.is_object() || ns.str != "Namespace")
      fail("cannot assign attribute on non-namespace object");
    ns.dict->set(Value::string(s.text), std::move(v));
    return;
  }
  bind_targets(s.targets, v);
}

void Interpreter::exec_macro(const Stmt& s) {
  assign(s.targets[0], make_macro(s, Value()));
}

Value Interpreter::make_macro(const Stmt& s, const Value& caller) {
  const Stmt* stmt = &s;
  return Value::callable(s.targets.empty() ? "caller" : s.targets[0],
                         [stmt, caller](Interpreter& in, CallArgs& args) {
                           return in.call_macro(*stmt, caller, args);
                         });
}

Value Interpreter::call_macro(const Stmt& s, const Value& caller, CallArgs& args) {
  const std::string name = s.targets.empty() ? "caller" : s.targets[0];
  if (args.positional.size() > s.params.size() && !s.uses_varargs)
    fail("macro '" + name + "' takes not more than " + std::to_string(s.params.size()) +
         " argument(s)");
  Frame f{{}, &root_};
  Frame* saved = frame_;
  frame_ = &f;
  struct Restore {
    Frame*& slot;
    Frame* value;
    ~Restore() { slot = value; }
  } restore{frame_, saved};

  Value kwargs = Value::new_dict();
  std::vector<bool> bound(s.params.size(), false);
  for (size_t i = 0; i < s.params.size() && i < args.positional.size(); ++i) {
    f.vars.emplace_back(s.params[i].name, args.positional[i]);
    bound[i] = true;
  }
  for (auto& kv : args.keyword) {
    bool matched = false;
    for (size_t i = 0; i < s.params.size(); ++i) {
      if (s.params[i].name == kv.first) {
        if (bound[i])
          fail("macro '" + name + "' got multiple values for argument '" + kv.first + "'");
        f.vars.emplace_back(kv.first, kv.second);
        bound[i] = matched = true;
      }
    }
    if (matched) continue;
    if (kv.first == "caller" && s.uses_caller) {
      f.vars.emplace_back("caller", kv.second);
    } else if (s.uses_kwargs) {
      kwargs.dict->set(Value::string(kv.first), kv.second);
    } else {
      fail("macro '" + name + "' takes no keyword argument '" + kv.first + "'");
    }
  }
  for (size_t i = 0; i < s.params.size(); ++i) {
    if (bound[i]) continue;
    Value v = s.params[i].default_value ? eval(*s.params[i].default_value)
                                        : Value::undefined(s.params[i].name);
    f.vars.emplace_back(s.params[i].name, std::move(v));
  }
  List extra;
  for (size_t i = s.params.size(); i < args.positional.size(); ++i)
    extra.push_back(args.positional[i]);
  f.vars.emplace_back("varargs", Value::tuple(std::move(extra)));
  f.vars.emplace_back("kwargs", kwargs);
  if (!caller.is_undefined()) f.vars.emplace_back("caller", caller);
  std::string text;
  exec_body(s.body, text);
  return Value::string(std::move(text));
}

void Interpreter::exec_call_block(const Stmt& s, std::string& out) {
  Value caller = make_macro(s, Value());
  // caller() is the block body as a macro taking the call block's params.
  const Expr& call = *s.expr;
  Value fn = eval(*call.args[0]);
  CallArgs args = eval_args(call, 1);
  args.keyword.emplace_back("caller", caller);
  append(out, to_str(this->call(fn, args)));
}

// ---- expressions ---------------------------------------------------------

Value Interpreter::eval(const Expr& e) {
  step();
  switch (e.kind) {
    case K::kLiteral:
      return e.value;
    case K::kName:
      return lookup(e.name);
    case K::kList:
    case K::kTuple: {
      List items;
      for (const auto& a : e.args) items.push_back(eval(*a));
      return e.kind == K::kList ? Value::new_list(std::move(items))
                                : Value::tuple(std::move(items));
    }
    case K::kDict: {
      Value d = Value::new_dict();
      for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
        Value k = eval(*e.args[i]);
        if (k.is_list() && !k.flag) fail("unhashable type: 'list'");
        if (k.is_dict()) fail("unhashable type: 'dict'");
        d.dict->set(std::move(k), eval(*e.args[i + 1]));
      }
      return d;
    }
    case K::kGetAttr:
      return get_attr(eval(*e.args[0]), e.name);
    case K::kGetItem: {
      Value obj = eval(*e.args[0]);
      return get_item(obj, eval(*e.args[1]));
    }
    case K::kSlice:
      return eval_slice(e);
    case K::kCall:
      return eval_call(e);
    case K::kFilter:
      return eval_filter(e, nullptr);
    case K::kTest:
      return eval_test(e);
    case K::kUnary: {
      Value v = eval(*e.args[0]);
      if (e.name == "not") return Value::boolean(!truthy(v));
      if (v.is_undefined()) fail("'" + v.str + "' is undefined");
      if (!v.is_number())
        fail(std::string("bad operand type for unary ") + e.name + ": '" + type_name(v) + "'");
      if (e.name == "+") return v.is_bool() ? Value::integer(v.b) : v;
      if (v.type == Value::Type::kFloat) return Value::number(-v.f);
      int64_t x = v.as_int();
      if (x == INT64_MIN) fail("integer overflow");
      return Value::integer(-x);
    }
    case K::kBinary: {
      if (e.name == "and") {
        Value l = eval(*e.args[0]);
        return truthy(l) ? eval(*e.args[1]) : l;
      }
      if (e.name == "or") {
        Value l = eval(*e.args[0]);
        return truthy(l) ? l : eval(*e.args[1]);
      }
      Value l = eval(*e.args[0]);
      Value r = eval(*e.args[1]);
      Value v = binary_op(*this, e.name, l, r);
      if (v.is_string()) check_size(v.str.size());
      return v;
    }
    case K::kCompare:
      return eval_compare(e);
    case K::kCondExpr: {
      if (truthy(eval(*e.args[0]))) return eval(*e.args[1]);
      return e.args[2] ? eval(*e.args[2]) : Value::undefined();
    }
  }
  return Value();
}

Value Interpreter::eval_compare(const Expr& e) {
  Value left = eval(*e.args[0]);
  for (size_t i = 0; i < e.ops.size(); ++i) {
    Value right = eval(*e.args[i + 1]);
    const std::string& op = e.ops[i];
    bool ok;
    if (op == "==") {
      ok = equals(left, right);
    } else if (op == "!=") {
      ok = !equals(left, right);
    } else if (op == "in" || op == "notin") {
      ok = contains(right, left) == (op == "in");
    } else {
      if (left.is_undefined() || right.is_undefined())
        fail("'" + (left.is_undefined() ? left.str : right.str) + "' is undefined");
      if (op == "<")
        ok = less(left, right);
      else if (op == ">")
        ok = less(right, left);
      else if (op == "<=")
        ok = !less(right, left);
      else
        ok = !less(left, right);
    }
    if (!ok) return Value::boolean(false);
    left = std::move(right);
  }
  return Value::boolean(true);
}

CallArgs Interpreter::eval_args(const Expr& e, size_t first) {
  CallArgs args;
  for (size_t i = first; i < e.args.size(); ++i) args.positional.push_back(eval(*e.args[i]));
  for (const auto& kv : e.kwargs) args.keyword.emplace_back(kv.first, eval(*kv.second));
  return args;
}

Value Interpreter::eval_call(const Expr& e) {
  Value fn = eval(*e.args[0]);
  CallArgs args = eval_args(e, 1);
  return call(fn, args);
}

Value Interpreter::call(const Value& fn, CallArgs& args) {
  if (fn.is_undefined()) fail("'" + fn.str + "' is undefined");
  if (!fn.is_callable()) fail(std::string("'") + type_name(fn) + "' object is not callable");
  CallDepth depth(call_depth_, limits_.max_call_depth);
  return fn.fn->fn(*this, args);
}

Value Interpreter::eval_filter(const Expr& e, const Value* block_input) {
  // Filters chain through args[0]; in a filter block the innermost input is
  // the rendered body rather than an expression.
  Value in;
  if (!e.args[0]) {
    in = *block_input;
  } else if (block_input && e.args[0]->kind == K::kFilter) {
    in = eval_filter(*e.args[0], block_input);
  } else {
    in = eval(*e.args[0]);
  }
  CallArgs args = eval_args(e, 1);
  return apply_filter(*this, e.name, in, args);
}

Value Interpreter::eval_test(const Expr& e) {
  Value subject = eval(*e.args[0]);
  CallArgs args = eval_args(e, 1);
  bool r = apply_test(*this, e.name, subject, args);
  return Value::boolean(r != e.negated);
}

Value Interpreter::eval_slice(const Expr& e) {
  Value obj = eval(*e.args[0]);
  Value parts[3];
  for (int i = 0; i < 3; ++i) parts[i] = e.args[i + 1] ? eval(*e.args[i + 1]) : Value::none();
  if (obj.is_undefined()) fail("'" + obj.str + "' is undefined");
  return slice_of(obj, parts[0], parts[1], parts[2]);
}

// ---- object model --------------------------------------------------------

Value Interpreter::get_attr(const Value& obj, const std::string& name) {
  if (obj.is_undefined()) fail("'" + obj.str + "' is undefined");
  if (obj.is_object()) {
    if (const Value* v = obj.dict->find(name)) return *v;
    return Value::undefined(name);
  }
  Value m = method_of(obj, name);
  if (!m.is_undefined()) return m;
  if (obj.is_dict()) {
    if (const Value* v = obj.dict->find(name)) return *v;
  }
  return Value::undefined(name);
}

Value Interpreter::get_item(const Value& obj, const Value& key) {
  if (obj.is_undefined()) fail("'" + obj.str + "' is undefined");
  switch (obj.type) {
    case Value::Type::kDict:
      if (const Value* v = obj.dict->find(key)) return *v;
      break;
    case Value::Type::kList:
    case Value::Type::kString: {
      if ((key.is_int() || key.is_bool()) && !obj.is_lazy()) {
        int64_t n = py_len(obj);
        int64_t i = key.as_int();
        if (i < 0) i += n;
        if (i < 0 || i >= n) return Value::undefined();
        if (obj.is_list()) return (*obj.list)[i];
        if (is_ascii(obj.str)) return Value::string(obj.str.substr(i, 1));
        std::string ch;
        utf8_append(ch, utf8_decode(obj.str)[i]);
        return Value::string(std::move(ch));
      }
      break;
    }
    default:
      break;
  }
  if (key.is_string()) {
    if (obj.is_object()) {
      if (const Value* v = obj.dict->find(key.str)) return *v;
      return Value::undefined(key.str);
    }
    Value m = method_of(obj, key.str);
    if (!m.is_undefined()) return m;
  }
  return Value::undefined();
}

List Interpreter::iterate(const Value& v) {
  switch (v.type) {
    case Value::Type::kUndefined:
      return {};
    case Value::Type::kList:
      if (v.lazy == Value::Lazy::kGenerator) {
        List items = std::move(*v.list);  // a generator runs once
        v.list->clear();
        return items;
      }
      return *v.list;
    case Value::Type::kDict: {
      List keys;
      for (const auto& kv : v.dict->items) keys.push_back(kv.first);
      return keys;
    }
    case Value::Type::kString: {
      List chars;
      for (char32_t cp : utf8_decode(v.str)) {
        std::string ch;
        utf8_append(ch, cp);
        chars.push_back(Value::string(std::move(ch)));
      }
      return chars;
    }
    default:
      fail(std::string("'") + type_name(v) + "' object is not iterable");
  }
}

}  // namespace hydra::engine::jinja
