// Global functions every template sees: range, namespace, dict, cycler,
// joiner and Hugging Face's raise_exception. strftime_now is added by the
// caller, which owns the clock.
#include "engine/chat/builtins.h"
#include "engine/chat/error.h"
#include "engine/chat/interpreter.h"

namespace hydra::engine::jinja {

namespace {

Value g_range(Interpreter& in, CallArgs& a) {
  if (!a.keyword.empty()) fail("range() takes no keyword arguments");
  if (a.positional.empty() || a.positional.size() > 3) fail("range expected 1 to 3 arguments");
  int64_t start = 0, stop = 0, step = 1;
  if (a.positional.size() == 1) {
    stop = a.positional[0].as_int();
  } else {
    start = a.positional[0].as_int();
    stop = a.positional[1].as_int();
    if (a.positional.size() == 3) step = a.positional[2].as_int();
  }
  if (step == 0) fail("range() arg 3 must not be zero");
  __int128 count = 0;
  if (step > 0 && stop > start) count = (static_cast<__int128>(stop) - start - 1) / step + 1;
  if (step < 0 && start > stop)
    count = (static_cast<__int128>(start) - stop - 1) / -static_cast<__int128>(step) + 1;
  if (count > static_cast<__int128>(in.limits().max_items)) fail("range too large");
  List out;
  out.reserve(static_cast<size_t>(count));
  for (__int128 k = 0; k < count; ++k)
    out.push_back(Value::integer(static_cast<int64_t>(start + k * step)));
  return Value::new_list(std::move(out));
}

Value g_namespace(Interpreter&, CallArgs& a) {
  Value ns = Value::object("Namespace");
  for (const Value& p : a.positional) {
    if (!p.is_dict()) fail("namespace() positional argument must be a mapping");
    for (const auto& kv : p.dict->items) ns.dict->set(kv.first, kv.second);
  }
  for (const auto& kv : a.keyword) ns.dict->set(Value::string(kv.first), kv.second);
  return ns;
}

Value g_dict(Interpreter& in, CallArgs& a) {
  Value d = Value::new_dict();
  for (const Value& p : a.positional) {
    if (p.is_dict()) {
      for (const auto& kv : p.dict->items) d.dict->set(kv.first, kv.second);
      continue;
    }
    for (const Value& pair : in.iterate(p)) {
      List kv = in.iterate(pair);
      if (kv.size() != 2) fail("dictionary update sequence element has wrong length");
      d.dict->set(kv[0], kv[1]);
    }
  }
  for (const auto& kv : a.keyword) d.dict->set(Value::string(kv.first), kv.second);
  return d;
}

Value g_raise_exception(Interpreter&, CallArgs& a) {
  throw TemplateRaised(a.positional.empty() ? std::string("raise_exception called")
                                            : to_str(a.positional[0]));
}

Value g_cycler(Interpreter&, CallArgs& a) {
  Value c = Value::object("Cycler");
  List items = a.positional;
  auto index = std::make_shared<size_t>(0);
  c.dict->set(Value::string("next"),
              Value::callable("next", [items, index](Interpreter&, CallArgs&) {
                if (items.empty()) fail("cycler has no items");
                Value v = items[*index % items.size()];
                ++*index;
                return v;
              }));
  c.dict->set(Value::string("reset"), Value::callable("reset", [index](Interpreter&, CallArgs&) {
                *index = 0;
                return Value::none();
              }));
  return c;
}

Value g_joiner(Interpreter&, CallArgs& a) {
  std::string sep = a.positional.empty() ? ", " : to_str(a.positional[0]);
  auto used = std::make_shared<bool>(false);
  return Value::callable("joiner", [sep, used](Interpreter&, CallArgs&) {
    if (!*used) {
      *used = true;
      return Value::string("");
    }
    return Value::string(sep);
  });
}

}  // namespace

Value default_globals() {
  Value g = Value::new_dict();
  g.dict->set(Value::string("range"), Value::callable("range", g_range));
  g.dict->set(Value::string("namespace"), Value::callable("namespace", g_namespace));
  g.dict->set(Value::string("dict"), Value::callable("dict", g_dict));
  g.dict->set(Value::string("raise_exception"),
              Value::callable("raise_exception", g_raise_exception));
  g.dict->set(Value::string("cycler"), Value::callable("cycler", g_cycler));
  g.dict->set(Value::string("joiner"), Value::callable("joiner", g_joiner));
  return g;
}

}  // namespace hydra::engine::jinja
