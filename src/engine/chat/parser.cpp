#include "engine/chat/parser.h"

#include <cerrno>
#include <cstdlib>
#include <initializer_list>

#include "engine/chat/error.h"
#include "engine/chat/lexer.h"

namespace hydra::engine::jinja {

namespace {

using K = Expr::Kind;
using T = Token::Type;

Stmt make_stmt(Stmt::Kind kind, int line) {
  Stmt s;
  s.kind = kind;
  s.line = line;
  return s;
}

ExprPtr make(K kind, int line) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->line = line;
  return e;
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, const ParseLimits& limits)
      : toks_(std::move(tokens)), limits_(limits) {}

  Body run() {
    std::string end;
    Body body = parse_body({}, end);
    return body;
  }

 private:
  // ---- token helpers ----
  const Token& cur() const { return toks_[pos_]; }
  const Token& peek(size_t n = 1) const { return toks_[std::min(pos_ + n, toks_.size() - 1)]; }
  void advance() {
    if (pos_ + 1 < toks_.size()) ++pos_;
  }
  bool is_op(std::string_view op) const { return cur().type == T::kOp && cur().text == op; }
  bool is_name(std::string_view n) const { return cur().type == T::kName && cur().text == n; }
  bool skip_op(std::string_view op) {
    if (!is_op(op)) return false;
    advance();
    return true;
  }
  bool skip_name(std::string_view n) {
    if (!is_name(n)) return false;
    advance();
    return true;
  }
  [[noreturn]] void error(const std::string& msg) const {
    throw TemplateSyntaxError(msg, cur().line);
  }
  void expect_op(std::string_view op) {
    if (!skip_op(op)) error("expected '" + std::string(op) + "', got '" + describe() + "'");
  }
  std::string expect_name() {
    if (cur().type != T::kName) error("expected a name, got '" + describe() + "'");
    std::string n = cur().text;
    advance();
    return n;
  }
  void expect_block_end() {
    if (cur().type != T::kBlockEnd)
      error("expected end of statement block, got '" + describe() + "'");
    advance();
  }
  std::string describe() const {
    switch (cur().type) {
      case T::kEof:
        return "end of template";
      case T::kBlockEnd:
        return "%}";
      case T::kVarEnd:
        return "}}";
      default:
        return cur().text;
    }
  }

  struct DepthGuard {
    Parser& p;
    explicit DepthGuard(Parser& parser) : p(parser) {
      if (++p.depth_ > p.limits_.max_depth) p.error("template nested too deeply");
    }
    ~DepthGuard() { --p.depth_; }
  };

  // ---- statements ----
  // Parses until a block tag named in `ends` (consumed name returned in `end`).
  Body parse_body(std::initializer_list<std::string_view> ends, std::string& end) {
    DepthGuard guard(*this);
    Body body;
    while (true) {
      const Token& t = cur();
      if (t.type == T::kEof) {
        if (ends.size())
          error("unexpected end of template, expected '" + std::string(*ends.begin()) + "'");
        return body;
      }
      if (t.type == T::kText) {
        Stmt s = make_stmt(Stmt::Kind::kText, 0);
        s.line = t.line;
        s.text = t.text;
        body.push_back(std::move(s));
        advance();
      } else if (t.type == T::kVarBegin) {
        advance();
        Stmt s = make_stmt(Stmt::Kind::kOutput, 0);
        s.line = t.line;
        s.expr = parse_tuple(true);
        if (cur().type != T::kVarEnd) error("expected '}}', got '" + describe() + "'");
        advance();
        body.push_back(std::move(s));
      } else if (t.type == T::kBlockBegin) {
        advance();
        if (cur().type != T::kName) error("tag name expected");
        std::string tag = cur().text;
        for (auto e : ends) {
          if (tag == e) {
            advance();
            end = tag;
            return body;
          }
        }
        body.push_back(parse_statement());
      } else {
        error("unexpected token '" + describe() + "'");
      }
    }
  }

  Stmt parse_statement() {
    std::string tag = cur().text;
    int line = cur().line;
    advance();
    Stmt s = make_stmt(Stmt::Kind::kText, 0);
    s.line = line;
    if (tag == "if") return parse_if(std::move(s));
    if (tag == "for") return parse_for(std::move(s));
    if (tag == "set") return parse_set(std::move(s));
    if (tag == "macro") return parse_macro(std::move(s));
    if (tag == "call") return parse_call_block(std::move(s));
    if (tag == "filter") return parse_filter_block(std::move(s));
    if (tag == "break" || tag == "continue") {
      if (loop_depth_ == 0) error("'" + tag + "' outside of a loop");
      s.kind = tag == "break" ? Stmt::Kind::kBreak : Stmt::Kind::kContinue;
      expect_block_end();
      return s;
    }
    if (tag == "generation") {
      // Hugging Face's assistant-mask block renders its body unchanged.
      s.kind = Stmt::Kind::kScope;
      expect_block_end();
      std::string end;
      s.body = parse_body({"endgeneration"}, end);
      expect_block_end();
      return s;
    }
    --pos_;
    error("Encountered unknown tag '" + tag + "'");
  }

  Stmt parse_if(Stmt s) {
    s.kind = Stmt::Kind::kIf;
    soft_.push_back(true);
    s.expr = parse_tuple(false);
    expect_block_end();
    std::string end;
    s.body = parse_body({"elif", "else", "endif"}, end);
    if (end == "elif") {
      Stmt nested = make_stmt(Stmt::Kind::kIf, 0);
      nested.line = cur().line;
      s.else_body.push_back(parse_if(std::move(nested)));
      soft_.pop_back();
      return s;
    }
    if (end == "else") {
      expect_block_end();
      s.else_body = parse_body({"endif"}, end);
    }
    expect_block_end();
    soft_.pop_back();
    return s;
  }

  std::vector<std::string> parse_targets(bool allow_attr, std::string* attr) {
    std::vector<std::string> names;
    bool paren = skip_op("(");
    do {
      names.push_back(expect_name());
      if (allow_attr && names.size() == 1 && !paren && is_op(".")) {
        advance();
        *attr = expect_name();
        return names;
      }
    } while (skip_op(","));
    if (paren) expect_op(")");
    return names;
  }

  Stmt parse_for(Stmt s) {
    s.kind = Stmt::Kind::kFor;
    soft_.push_back(false);
    s.targets = parse_targets(false, nullptr);
    if (!skip_name("in")) error("expected 'in' in for loop");
    s.expr = parse_tuple(false, /*stop_at_if=*/true);
    if (skip_name("if")) s.cond = parse_expression();
    if (skip_name("recursive")) s.recursive = true;
    expect_block_end();
    std::string end;
    ++loop_depth_;
    s.body = parse_body({"else", "endfor"}, end);
    --loop_depth_;
    if (end == "else") {
      expect_block_end();
      s.else_body = parse_body({"endfor"}, end);
    }
    expect_block_end();
    soft_.pop_back();
    return s;
  }

  Stmt parse_set(Stmt s) {
    s.targets = parse_targets(true, &s.text);
    if (skip_op("=")) {
      s.kind = Stmt::Kind::kSet;
      s.expr = parse_tuple(true);
      expect_block_end();
      return s;
    }
    if (s.targets.size() != 1) error("block set takes a single target");
    s.kind = Stmt::Kind::kSetBlock;
    soft_.push_back(false);
    if (is_op("|")) s.expr = parse_filters(nullptr);
    expect_block_end();
    std::string end;
    s.body = parse_body({"endset"}, end);
    expect_block_end();
    soft_.pop_back();
    return s;
  }

  std::vector<MacroParam> parse_params() {
    std::vector<MacroParam> params;
    expect_op("(");
    while (!is_op(")")) {
      if (!params.empty()) expect_op(",");
      MacroParam p;
      p.name = expect_name();
      if (skip_op("=")) p.default_value = parse_expression();
      params.push_back(std::move(p));
    }
    expect_op(")");
    return params;
  }

  Stmt parse_macro(Stmt s) {
    s.kind = Stmt::Kind::kMacro;
    s.targets.push_back(expect_name());
    s.params = parse_params();
    expect_block_end();
    soft_.push_back(false);
    macro_refs_.push_back({});
    int saved_loops = loop_depth_;
    loop_depth_ = 0;
    std::string end;
    s.body = parse_body({"endmacro"}, end);
    loop_depth_ = saved_loops;
    const MacroRefs refs = macro_refs_.back();
    macro_refs_.pop_back();
    s.uses_caller = refs.caller;
    s.uses_varargs = refs.varargs;
    s.uses_kwargs = refs.kwargs;
    if (cur().type == T::kName) advance();  // optional macro name after endmacro
    expect_block_end();
    soft_.pop_back();
    return s;
  }

  Stmt parse_call_block(Stmt s) {
    s.kind = Stmt::Kind::kCallBlock;
    if (is_op("(")) s.params = parse_params();
    s.expr = parse_expression();
    if (s.expr->kind != K::kCall) error("expected call");
    expect_block_end();
    soft_.push_back(false);
    macro_refs_.push_back({});
    std::string end;
    s.body = parse_body({"endcall"}, end);
    macro_refs_.pop_back();
    expect_block_end();
    soft_.pop_back();
    return s;
  }

  Stmt parse_filter_block(Stmt s) {
    s.kind = Stmt::Kind::kFilterBlock;
    soft_.push_back(false);
    s.expr = parse_filters(nullptr, /*first_pipe=*/false);
    expect_block_end();
    std::string end;
    s.body = parse_body({"endfilter"}, end);
    expect_block_end();
    soft_.pop_back();
    return s;
  }

  // ---- expressions ----
  bool at_tuple_end(bool stop_at_if) const {
    const Token& t = cur();
    if (t.type == T::kVarEnd || t.type == T::kBlockEnd || t.type == T::kEof) return true;
    if (t.type == T::kOp && t.text == ")") return true;
    if (stop_at_if && t.type == T::kName && (t.text == "if" || t.text == "recursive")) return true;
    return false;
  }

  ExprPtr parse_tuple(bool with_condexpr, bool stop_at_if = false, bool explicit_parens = false) {
    int line = cur().line;
    std::vector<ExprPtr> items;
    bool is_tuple = false;
    while (true) {
      if (!items.empty()) {
        if (!skip_op(",")) break;
        is_tuple = true;
      }
      if (at_tuple_end(stop_at_if)) break;
      items.push_back(with_condexpr ? parse_expression() : parse_or());
    }
    if (!is_tuple) {
      if (!items.empty()) return std::move(items[0]);
      if (!explicit_parens) error("expected an expression, got '" + describe() + "'");
    }
    auto e = make(K::kTuple, line);
    e->args = std::move(items);
    return e;
  }

  ExprPtr parse_expression() {
    DepthGuard guard(*this);
    ExprPtr e = parse_or();
    while (is_name("if")) {
      int line = cur().line;
      advance();
      soft_.push_back(true);
      auto c = make(K::kCondExpr, line);
      c->args.push_back(parse_or());
      c->args.push_back(std::move(e));
      if (skip_name("else")) {
        c->args.push_back(parse_expression());
      } else {
        c->args.push_back(nullptr);
      }
      soft_.pop_back();
      e = std::move(c);
    }
    return e;
  }

  ExprPtr binary(std::string op, ExprPtr left, ExprPtr right, int line) {
    auto e = make(K::kBinary, line);
    e->name = std::move(op);
    e->args.push_back(std::move(left));
    e->args.push_back(std::move(right));
    return e;
  }

  ExprPtr parse_or() {
    ExprPtr e = parse_and();
    while (is_name("or")) {
      int line = cur().line;
      advance();
      e = binary("or", std::move(e), parse_and(), line);
    }
    return e;
  }

  ExprPtr parse_and() {
    ExprPtr e = parse_not();
    while (is_name("and")) {
      int line = cur().line;
      advance();
      e = binary("and", std::move(e), parse_not(), line);
    }
    return e;
  }

  ExprPtr parse_not() {
    if (is_name("not")) {
      DepthGuard guard(*this);
      auto e = make(K::kUnary, cur().line);
      advance();
      e->name = "not";
      e->args.push_back(parse_not());
      return e;
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    int line = cur().line;
    ExprPtr first = parse_math1();
    ExprPtr e;
    while (true) {
      std::string op;
      if (cur().type == T::kOp && (cur().text == "==" || cur().text == "!=" || cur().text == "<" ||
                                   cur().text == "<=" || cur().text == ">" || cur().text == ">=")) {
        op = cur().text;
        advance();
      } else if (is_name("in")) {
        op = "in";
        advance();
      } else if (is_name("not") && peek().type == T::kName && peek().text == "in") {
        op = "notin";
        advance();
        advance();
      } else {
        break;
      }
      if (!e) {
        e = make(K::kCompare, line);
        e->args.push_back(std::move(first));
      }
      e->ops.push_back(op);
      e->args.push_back(parse_math1());
    }
    return e ? std::move(e) : std::move(first);
  }

  ExprPtr parse_math1() {
    ExprPtr e = parse_concat();
    while (is_op("+") || is_op("-")) {
      std::string op = cur().text;
      int line = cur().line;
      advance();
      e = binary(op, std::move(e), parse_concat(), line);
    }
    return e;
  }

  ExprPtr parse_concat() {
    ExprPtr e = parse_math2();
    while (is_op("~")) {
      int line = cur().line;
      advance();
      e = binary("~", std::move(e), parse_math2(), line);
    }
    return e;
  }

  ExprPtr parse_math2() {
    ExprPtr e = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      std::string op = cur().text;
      int line = cur().line;
      advance();
      e = binary(op, std::move(e), parse_pow(), line);
    }
    return e;
  }

  ExprPtr parse_pow() {
    ExprPtr e = parse_unary(true);
    while (is_op("**")) {
      int line = cur().line;
      advance();
      e = binary("**", std::move(e), parse_unary(true), line);
    }
    return e;
  }

  ExprPtr parse_unary(bool with_filter) {
    DepthGuard guard(*this);
    ExprPtr e;
    if (is_op("-") || is_op("+")) {
      e = make(K::kUnary, cur().line);
      e->name = cur().text;
      advance();
      e->args.push_back(parse_unary(false));
    } else {
      e = parse_primary();
    }
    e = parse_postfix(std::move(e));
    if (with_filter) e = parse_filter_expr(std::move(e));
    return e;
  }

  ExprPtr literal(Value v, int line) {
    auto e = make(K::kLiteral, line);
    e->value = std::move(v);
    return e;
  }

  ExprPtr parse_primary() {
    const Token& t = cur();
    int line = t.line;
    switch (t.type) {
      case T::kName: {
        std::string n = t.text;
        advance();
        if (n == "true" || n == "True") return literal(Value::boolean(true), line);
        if (n == "false" || n == "False") return literal(Value::boolean(false), line);
        if (n == "none" || n == "None") return literal(Value::none(), line);
        note_name(n);
        auto e = make(K::kName, line);
        e->name = n;
        return e;
      }
      case T::kString: {
        std::string s;
        while (cur().type == T::kString) {
          s += cur().text;
          advance();
        }
        return literal(Value::string(std::move(s)), line);
      }
      case T::kInt: {
        errno = 0;
        char* endp = nullptr;
        long long v = std::strtoll(t.text.c_str(), &endp, 10);
        if (errno == ERANGE) error("integer literal too large");
        advance();
        return literal(Value::integer(v), line);
      }
      case T::kFloat: {
        double v = std::strtod(t.text.c_str(), nullptr);
        advance();
        return literal(Value::number(v), line);
      }
      case T::kOp:
        if (t.text == "(") {
          advance();
          ExprPtr e = parse_tuple(true, false, true);
          expect_op(")");
          return e;
        }
        if (t.text == "[") return parse_list();
        if (t.text == "{") return parse_dict();
        break;
      default:
        break;
    }
    error("unexpected '" + describe() + "'");
  }

  ExprPtr parse_list() {
    auto e = make(K::kList, cur().line);
    expect_op("[");
    while (!is_op("]")) {
      if (!e->args.empty()) {
        expect_op(",");
        if (is_op("]")) break;
      }
      e->args.push_back(parse_expression());
    }
    expect_op("]");
    return e;
  }

  ExprPtr parse_dict() {
    auto e = make(K::kDict, cur().line);
    expect_op("{");
    while (!is_op("}")) {
      if (!e->args.empty()) {
        expect_op(",");
        if (is_op("}")) break;
      }
      e->args.push_back(parse_expression());
      expect_op(":");
      e->args.push_back(parse_expression());
    }
    expect_op("}");
    return e;
  }

  ExprPtr parse_postfix(ExprPtr e) {
    while (true) {
      int line = cur().line;
      if (is_op(".")) {
        advance();
        if (cur().type == T::kName) {
          auto g = make(K::kGetAttr, line);
          g->name = cur().text;
          advance();
          g->args.push_back(std::move(e));
          e = std::move(g);
        } else if (cur().type == T::kInt) {
          auto g = make(K::kGetItem, line);
          g->args.push_back(std::move(e));
          g->args.push_back(parse_primary());
          e = std::move(g);
        } else {
          error("expected name or number after '.'");
        }
      } else if (is_op("[")) {
        e = parse_subscript(std::move(e));
      } else if (is_op("(")) {
        e = parse_call(std::move(e));
      } else {
        return e;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr target) {
    DepthGuard guard(*this);
    int line = cur().line;
    expect_op("[");
    ExprPtr parts[3];
    bool is_slice = false;
    int part = 0;
    while (!is_op("]")) {
      if (is_op(":")) {
        if (++part > 2) error("invalid slice");
        is_slice = true;
        advance();
        continue;
      }
      if (parts[part]) error("expected ']' in subscript");
      parts[part] = parse_expression();
      if (is_op(",")) error("tuple subscripts are not supported");
    }
    expect_op("]");
    if (!is_slice) {
      if (!parts[0]) error("expected subscript expression");
      auto g = make(K::kGetItem, line);
      g->args.push_back(std::move(target));
      g->args.push_back(std::move(parts[0]));
      return g;
    }
    auto s = make(K::kSlice, line);
    s->args.push_back(std::move(target));
    for (auto& p : parts) s->args.push_back(std::move(p));
    return s;
  }

  void parse_call_args(Expr& call) {
    expect_op("(");
    bool first = true;
    while (!is_op(")")) {
      if (!first) {
        expect_op(",");
        if (is_op(")")) break;
      }
      first = false;
      if (is_op("*") || is_op("**")) error("*args and **kwargs in calls are not supported");
      if (cur().type == T::kName && peek().type == T::kOp && peek().text == "=") {
        std::string key = cur().text;
        advance();
        advance();
        call.kwargs.emplace_back(key, parse_expression());
      } else {
        if (!call.kwargs.empty()) error("positional argument after keyword argument");
        call.args.push_back(parse_expression());
      }
    }
    expect_op(")");
  }

  ExprPtr parse_call(ExprPtr target) {
    DepthGuard guard(*this);
    auto c = make(K::kCall, cur().line);
    c->args.push_back(std::move(target));
    parse_call_args(*c);
    return c;
  }

  ExprPtr parse_filter_expr(ExprPtr e) {
    while (true) {
      if (is_op("|")) {
        e = parse_filters(std::move(e));
      } else if (is_name("is")) {
        e = parse_test(std::move(e));
      } else if (is_op("(")) {
        e = parse_call(std::move(e));
      } else {
        return e;
      }
    }
  }

  // One or more `| name(args)` applied to `input` (null in filter blocks).
  ExprPtr parse_filters(ExprPtr input, bool first_pipe = true) {
    bool need_pipe = first_pipe;
    while (need_pipe ? is_op("|") : true) {
      DepthGuard guard(*this);
      if (need_pipe) advance();
      need_pipe = true;
      auto f = make(K::kFilter, cur().line);
      f->name = expect_name();
      while (is_op(".")) {
        advance();
        f->name += "." + expect_name();
      }
      check_known(f->name, is_known_filter(f->name), "filter");
      f->soft = soft();
      f->args.push_back(std::move(input));
      if (is_op("(")) parse_call_args(*f);
      input = std::move(f);
    }
    return input;
  }

  ExprPtr parse_test(ExprPtr subject) {
    DepthGuard guard(*this);
    auto t = make(K::kTest, cur().line);
    advance();  // 'is'
    if (skip_name("not")) t->negated = true;
    t->name = expect_name();
    while (is_op(".")) {
      advance();
      t->name += "." + expect_name();
    }
    check_known(t->name, is_known_test(t->name), "test");
    t->soft = soft();
    t->args.push_back(std::move(subject));
    const Token& c = cur();
    bool starts_primary = c.type == T::kName || c.type == T::kString || c.type == T::kInt ||
                          c.type == T::kFloat ||
                          (c.type == T::kOp && (c.text == "(" || c.text == "[" || c.text == "{"));
    if (is_op("(")) {
      parse_call_args(*t);
    } else if (starts_primary && !is_name("else") && !is_name("or") && !is_name("and")) {
      if (is_name("is")) error("You cannot chain multiple tests with is");
      t->args.push_back(parse_postfix(parse_primary()));
    }
    return t;
  }

  void check_known(const std::string& name, bool known, const char* what) {
    if (!known && !soft()) error(std::string("No ") + what + " named '" + name + "'.");
  }

  bool soft() const { return !soft_.empty() && soft_.back(); }

  void note_name(const std::string& n) {
    if (macro_refs_.empty()) return;
    MacroRefs& r = macro_refs_.back();
    if (n == "caller") r.caller = true;
    if (n == "varargs") r.varargs = true;
    if (n == "kwargs") r.kwargs = true;
  }

  struct MacroRefs {
    bool caller = false;
    bool varargs = false;
    bool kwargs = false;
  };

  std::vector<Token> toks_;
  size_t pos_ = 0;
  ParseLimits limits_;
  int depth_ = 0;
  int loop_depth_ = 0;
  std::vector<bool> soft_;
  std::vector<MacroRefs> macro_refs_;
};

}  // namespace

Body parse_template(std::string_view source, const ParseLimits& limits) {
  return Parser(tokenize(source), limits).run();
}

}  // namespace hydra::engine::jinja
