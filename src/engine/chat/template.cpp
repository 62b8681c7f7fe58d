#include "engine/chat/template.h"

#include <boost/json.hpp>

#include "engine/chat/builtins.h"
#include "engine/chat/py_format.h"

namespace hydra::engine::jinja {

namespace {

std::tm system_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  return tm;
}

thread_local int copy_depth = 0;

}  // namespace

Value from_json(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      return Value::none();
    case boost::json::kind::bool_:
      return Value::boolean(v.get_bool());
    case boost::json::kind::int64:
      return Value::integer(v.get_int64());
    case boost::json::kind::uint64: {
      uint64_t u = v.get_uint64();
      if (u > static_cast<uint64_t>(INT64_MAX)) return Value::number(static_cast<double>(u));
      return Value::integer(static_cast<int64_t>(u));
    }
    case boost::json::kind::double_:
      return Value::number(v.get_double());
    case boost::json::kind::string:
      return Value::string(std::string(v.get_string()));
    case boost::json::kind::array: {
      List items;
      for (const auto& x : v.get_array()) items.push_back(from_json(x));
      return Value::new_list(std::move(items));
    }
    case boost::json::kind::object: {
      Value d = Value::new_dict();
      for (const auto& kv : v.get_object())
        d.dict->items.emplace_back(Value::string(std::string(kv.key())), from_json(kv.value()));
      return d;
    }
  }
  return Value::none();
}

Value deep_copy(const Value& v) {
  struct Guard {
    Guard() {
      if (++copy_depth > 400) {
        copy_depth = 0;
        fail("context nested too deeply");
      }
    }
    ~Guard() {
      if (copy_depth > 0) --copy_depth;
    }
  } guard;
  switch (v.type) {
    case Value::Type::kList: {
      List items;
      for (const Value& x : *v.list) items.push_back(deep_copy(x));
      Value r = Value::new_list(std::move(items));
      r.flag = v.flag;
      return r;
    }
    case Value::Type::kDict:
    case Value::Type::kObject: {
      Value r = v.is_dict() ? Value::new_dict() : Value::object(v.str);
      for (const auto& kv : v.dict->items)
        r.dict->items.emplace_back(kv.first, deep_copy(kv.second));
      return r;
    }
    default:
      return v;
  }
}

Template::Template(std::string_view source, const ParseLimits& limits)
    : body_(parse_template(source, limits)) {}

std::string Template::render(const Value& context, const RenderConfig& config) const {
  ValueArena arena;
  Value globals = default_globals();
  std::function<std::tm()> now = config.now ? config.now : system_now;
  globals.dict->set(Value::string("strftime_now"),
                    Value::callable("strftime_now", [now](Interpreter&, CallArgs& a) {
                      const Value* fmt = a.get(0, "format");
                      if (!fmt || !fmt->is_string()) fail("strftime_now() needs a format string");
                      return Value::string(strftime_text(fmt->str, now()));
                    }));
  Value ctx = deep_copy(context);
  Interpreter interpreter(config.limits, globals, ctx);
  return interpreter.render(body_);
}

std::string Template::render(const boost::json::object& context, const RenderConfig& config) const {
  ValueArena arena;
  return render(from_json(boost::json::value(context)), config);
}

}  // namespace hydra::engine::jinja
