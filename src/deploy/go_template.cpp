// The executor: walks the parse tree with Go's rules for dot, variables,
// field chains on maps, pipelines (the previous command's value becomes the
// last argument of the next) and the control structures.
#include "deploy/go_template.h"

#include <algorithm>

#include "common/error.h"
#include "deploy/go_template_parse.h"
#include "deploy/go_template_value.h"

namespace hydra::deploy {
namespace {

namespace bj = boost::json;
using gotmpl::Arg;
using gotmpl::Command;
using gotmpl::Node;
using gotmpl::NodeList;
using gotmpl::Pipe;
using gotmpl::Val;

constexpr size_t kMaxOutput = 1 << 20;   // bytes one template may produce
constexpr size_t kMaxSteps = 1'000'000;  // nodes one render may visit

[[noreturn]] void exec_error(const std::string& what) {
  throw ApiError(ErrorCode::kParamError, "template: " + what, "template");
}

enum class Flow { kNormal, kBreak, kContinue };

class Executor {
 public:
  explicit Executor(const bj::value& data) { vars_.push_back({"$", Val{data}}); }

  std::string run(const NodeList& list) {
    Val dot{vars_[0].second.v};
    walk_list(list, dot);
    return std::move(out_);
  }

 private:
  Flow walk_list(const NodeList& list, const Val& dot) {
    for (const auto& n : list) {
      Flow f = walk(n, dot);
      if (f != Flow::kNormal) return f;
    }
    return Flow::kNormal;
  }

  void emit(const std::string& s) {
    if (out_.size() + s.size() > kMaxOutput) exec_error("output exceeds 1 MiB");
    out_ += s;
  }

  Flow walk(const Node& n, const Val& dot) {
    if (++steps_ > kMaxSteps) exec_error("template takes too many steps");
    switch (n.kind) {
      case Node::Kind::kText:
        emit(n.text);
        return Flow::kNormal;
      case Node::Kind::kAction: {
        Val v = eval_pipe(*n.pipe, dot);
        // An action that only declares a variable prints nothing.
        if (n.pipe->decl.empty()) emit(v.missing ? "<no value>" : gotmpl::print_value(v.v));
        return Flow::kNormal;
      }
      case Node::Kind::kIf:
      case Node::Kind::kWith:
        return walk_if_with(n, dot);
      case Node::Kind::kRange:
        return walk_range(n, dot);
      case Node::Kind::kBreak:
        return Flow::kBreak;
      case Node::Kind::kContinue:
        return Flow::kContinue;
    }
    return Flow::kNormal;
  }

  Flow walk_if_with(const Node& n, const Val& dot) {
    size_t mark = vars_.size();
    Val v = eval_pipe(*n.pipe, dot);
    Flow f = Flow::kNormal;
    if (gotmpl::truth(v)) {
      f = walk_list(*n.then_list, n.kind == Node::Kind::kWith ? v : dot);
    } else if (n.else_list) {
      f = walk_list(*n.else_list, dot);
    }
    vars_.resize(mark);
    return f;
  }

  // One pass of a range body with dot = elem and the declared variables set.
  Flow iterate(const Node& n, const Val& key, const Val& elem) {
    const auto& decl = n.pipe->decl;
    if (!decl.empty()) {
      if (decl.size() == 1) {
        set_var(decl[0], elem, n.pipe->assign);
      } else {
        set_var(decl[0], key, n.pipe->assign);
        set_var(decl[1], elem, n.pipe->assign);
      }
    }
    size_t mark = vars_.size();
    Flow f = walk_list(*n.then_list, elem);
    vars_.resize(mark);
    return f;
  }

  Flow walk_range(const Node& n, const Val& dot) {
    size_t mark = vars_.size();
    Pipe head = *n.pipe;
    head.decl.clear();  // set per element below, not to the collection
    Val coll = eval_pipe(head, dot);
    if (!n.pipe->assign) {
      for (const auto& name : n.pipe->decl) vars_.push_back({name, Val::none()});
    }
    size_t count = 0;
    auto body = [&](const Val& k, const Val& e) {
      ++count;
      return iterate(n, k, e);
    };
    if (!coll.missing) {
      const bj::value& c = coll.v;
      if (c.is_array()) {
        const auto& arr = c.get_array();
        for (size_t i = 0; i < arr.size(); ++i) {
          if (body(Val{static_cast<int64_t>(i)}, Val{arr[i]}) == Flow::kBreak) break;
        }
      } else if (c.is_object()) {
        std::vector<std::string> keys;
        for (const auto& kv : c.get_object()) keys.emplace_back(kv.key());
        std::sort(keys.begin(), keys.end());
        for (const auto& k : keys) {
          if (body(Val{bj::string(k)}, Val{c.get_object().at(k)}) == Flow::kBreak) break;
        }
      } else if (c.is_int64()) {
        if (n.pipe->decl.size() > 1) exec_error("can't use two variables when ranging over an int");
        for (int64_t i = 0; i < c.get_int64(); ++i) {
          if (body(Val{i}, Val{i}) == Flow::kBreak) break;
        }
      } else if (!c.is_null()) {
        exec_error("range can't iterate over " + gotmpl::print_value(c));
      }
    }
    if (count == 0 && n.else_list) walk_list(*n.else_list, dot);
    vars_.resize(mark);
    return Flow::kNormal;
  }

  void set_var(const std::string& name, const Val& v, bool assign) {
    for (size_t i = vars_.size(); i-- > 0;) {
      if (vars_[i].first == name) {
        vars_[i].second = v;
        return;
      }
    }
    if (assign) exec_error("undefined variable: " + name);
    vars_.push_back({name, v});
  }

  const Val& var(const std::string& name) const {
    for (size_t i = vars_.size(); i-- > 0;) {
      if (vars_[i].first == name) return vars_[i].second;
    }
    exec_error("undefined variable: " + name);
  }

  Val eval_pipe(const Pipe& p, const Val& dot) {
    Val v;
    bool have = false;
    for (const auto& cmd : p.cmds) {
      v = eval_command(cmd, dot, have ? &v : nullptr);
      have = true;
    }
    for (const auto& name : p.decl) {
      if (p.assign) {
        set_var(name, v, true);
      } else {
        vars_.push_back({name, v});
      }
    }
    return v;
  }

  Val eval_command(const Command& c, const Val& dot, const Val* piped) {
    const Arg& first = c.args.front();
    if (first.kind == Arg::Kind::kFunction) return call(first.name, c, dot, piped);
    if (c.args.size() > 1 || piped) {
      exec_error("can't give argument to non-function " + describe(first));
    }
    return eval_arg(first, dot);
  }

  static std::string describe(const Arg& a) {
    std::string s;
    switch (a.kind) {
      case Arg::Kind::kDot:
        return ".";
      case Arg::Kind::kVariable:
        s = a.name;
        break;
      case Arg::Kind::kLiteral:
        return gotmpl::print_value(a.literal);
      default:
        break;
    }
    for (const auto& f : a.chain) s += "." + f;
    return s;
  }

  Val call(const std::string& fn, const Command& c, const Val& dot, const Val* piped) {
    size_t n = c.args.size() - 1 + (piped ? 1 : 0);
    if (fn == "and" || fn == "or") {
      if (n == 0) exec_error("wrong number of args for " + fn + ": want at least 1 got 0");
      // Short-circuit: later operands are not evaluated once the answer is known.
      Val v;
      for (size_t i = 1; i <= n; ++i) {
        v = i < c.args.size() ? eval_arg(c.args[i], dot) : *piped;
        bool t = gotmpl::truth(v);
        if ((fn == "and" && !t) || (fn == "or" && t)) return v;
      }
      return v;
    }
    std::vector<Val> args;
    for (size_t i = 1; i < c.args.size(); ++i) args.push_back(eval_arg(c.args[i], dot));
    if (piped) args.push_back(*piped);
    return gotmpl::call_builtin(fn, args);
  }

  Val eval_arg(const Arg& a, const Val& dot) {
    switch (a.kind) {
      case Arg::Kind::kLiteral:
        return Val{a.literal};
      case Arg::Kind::kDot:
        return dot;
      case Arg::Kind::kField:
        return chain(dot, a.chain);
      case Arg::Kind::kVariable:
        return chain(var(a.name), a.chain);
      case Arg::Kind::kPipe: {
        size_t mark = vars_.size();
        Val v = eval_pipe(*a.pipe, dot);
        vars_.resize(mark);
        return chain(v, a.chain);
      }
      case Arg::Kind::kFunction: {
        Command alone;
        alone.args.push_back(a);
        return call(a.name, alone, dot, nullptr);
      }
    }
    return Val::none();
  }

  static Val chain(const Val& start, const std::vector<std::string>& fields) {
    Val cur = start;
    for (const auto& f : fields) {
      if (cur.missing) return cur;  // Go yields no value for fields of no value
      if (cur.v.is_null()) exec_error("nil pointer evaluating interface {}." + f);
      if (!cur.v.is_object()) {
        exec_error("can't evaluate field " + f + " in type " + gotmpl::type_name(cur.v));
      }
      const bj::value* found = cur.v.get_object().if_contains(f);
      cur = found ? Val{*found} : Val::none();
    }
    return cur;
  }

  std::vector<std::pair<std::string, Val>> vars_;
  std::string out_;
  size_t steps_ = 0;
};

}  // namespace

GoTemplate GoTemplate::parse(std::string_view text) {
  GoTemplate t;
  t.root_ = gotmpl::parse(text);
  return t;
}

std::string GoTemplate::render(const boost::json::value& data) const {
  if (!root_) return "";
  return Executor(data).run(*root_);
}

std::string render_go_template(std::string_view text, const boost::json::value& data) {
  return GoTemplate::parse(text).render(data);
}

}  // namespace hydra::deploy
