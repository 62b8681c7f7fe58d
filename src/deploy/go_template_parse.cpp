#include "deploy/go_template_parse.h"

#include <charconv>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "deploy/go_template_lex.h"

namespace hydra::deploy::gotmpl {
namespace {

constexpr int kMaxDepth = 100;  // nested controls and parentheses

[[noreturn]] void fail(const Token& t, const std::string& what) {
  throw ApiError(ErrorCode::kParamError, "template: line " + std::to_string(t.line) + ": " + what,
                 "template");
}

bool is_keyword(const std::string& s) {
  static const std::set<std::string> k = {"if",     "else",  "end",   "range",    "with",
                                          "define", "block", "break", "continue", "template"};
  return k.count(s) > 0;
}

// Go's literal rules: an integer when it parses as one, else a float64
// (anything with . e or p), else an error.
boost::json::value number_literal(const Token& t) {
  std::string s;
  for (char c : t.text) {
    if (c != '_') s += c;
  }
  bool neg = !s.empty() && s[0] == '-';
  std::string body = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? s.substr(1) : s;
  int base = 10;
  std::string digits = body;
  if (body.size() > 2 && body[0] == '0') {
    char b = static_cast<char>(body[1] | 0x20);
    if (b == 'x') base = 16;
    if (b == 'o') base = 8;
    if (b == 'b') base = 2;
    if (base != 10) digits = body.substr(2);
  } else if (body.size() > 1 && body[0] == '0' && body.find_first_of(".eE") == std::string::npos) {
    base = 8;
    digits = body.substr(1);
  }
  uint64_t u = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), u, base);
  if (ec == std::errc() && p == digits.data() + digits.size() && !digits.empty()) {
    if (!neg && u <= static_cast<uint64_t>(INT64_MAX)) return static_cast<int64_t>(u);
    if (neg && u <= static_cast<uint64_t>(INT64_MAX) + 1) return static_cast<int64_t>(0 - u);
    if (!neg) return u;
    fail(t, "integer overflow: " + t.text);
  }
  if (base == 10 && body.find_first_of(".eE") != std::string::npos) {
    double d = 0;
    auto [q, ec2] = std::from_chars(body.data(), body.data() + body.size(), d);
    if (ec2 == std::errc() && q == body.data() + body.size()) return neg ? -d : d;
  }
  fail(t, "bad number syntax: \"" + t.text + "\"");
}

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : t_(std::move(toks)) { vars_.push_back("$"); }

  std::shared_ptr<NodeList> run() {
    auto list = std::make_shared<NodeList>();
    std::string stop = parse_list(*list);
    if (!stop.empty()) fail(peek(), "unexpected {{" + stop + "}}");
    return list;
  }

 private:
  const Token& peek(size_t ahead = 0) const {
    size_t i = std::min(pos_ + ahead, t_.size() - 1);
    return t_[i];
  }
  const Token& next() {
    const Token& t = t_[pos_];
    if (pos_ + 1 < t_.size()) ++pos_;
    return t;
  }
  void expect(Tok k, const char* what) {
    if (peek().kind != k) fail(peek(), std::string("expected ") + what);
    next();
  }

  // Parses nodes until end of input (returns "") or an action {{end}} /
  // {{else ...}} (returns "end" or "else", positioned after the keyword).
  std::string parse_list(NodeList& out) {
    for (;;) {
      const Token& t = peek();
      if (t.kind == Tok::kEnd) return "";
      if (t.kind == Tok::kText) {
        out.push_back(Node{Node::Kind::kText, next().text, nullptr, nullptr, nullptr});
        continue;
      }
      expect(Tok::kLeft, "{{");
      const Token& k = peek();
      if (k.kind == Tok::kIdent && (k.text == "end" || k.text == "else")) {
        std::string word = next().text;
        return word;
      }
      out.push_back(parse_action());
    }
  }

  Node parse_action() {
    const Token& k = peek();
    if (k.kind == Tok::kIdent) {
      if (k.text == "if") return parse_control(Node::Kind::kIf);
      if (k.text == "range") return parse_control(Node::Kind::kRange);
      if (k.text == "with") return parse_control(Node::Kind::kWith);
      if (k.text == "break" || k.text == "continue") return parse_loop_jump();
      if (k.text == "define" || k.text == "template" || k.text == "block") {
        fail(k, "{{" + k.text + "}} is not supported in runtime templates");
      }
    }
    Node n;
    n.kind = Node::Kind::kAction;
    n.pipe = parse_pipe(Tok::kRight, false);
    expect(Tok::kRight, "}}");
    return n;
  }

  Node parse_loop_jump() {
    const Token& k = next();
    if (range_depth_ == 0) fail(k, "{{" + k.text + "}} outside {{range}}");
    expect(Tok::kRight, "}}");
    Node n;
    n.kind = k.text == "break" ? Node::Kind::kBreak : Node::Kind::kContinue;
    return n;
  }

  struct DepthGuard {
    explicit DepthGuard(Parser& p) : p_(p) {
      if (++p_.depth_ > kMaxDepth) fail(p_.peek(), "template nested too deeply");
    }
    ~DepthGuard() { --p_.depth_; }
    Parser& p_;
  };

  // if / range / with, after "{{"; the keyword is next.
  Node parse_control(Node::Kind kind) {
    DepthGuard depth(*this);
    const Token& kw = next();
    size_t mark = vars_.size();
    Node n;
    n.kind = kind;
    n.pipe = parse_pipe(Tok::kRight, kind == Node::Kind::kRange);
    expect(Tok::kRight, "}}");
    n.then_list = std::make_shared<NodeList>();
    if (kind == Node::Kind::kRange) ++range_depth_;
    std::string stop = parse_list(*n.then_list);
    if (kind == Node::Kind::kRange) --range_depth_;
    if (stop.empty()) fail(kw, "unexpected EOF: {{" + kw.text + "}} without {{end}}");
    if (stop == "else") {
      n.else_list = parse_else(kind, kw);
    } else {
      expect(Tok::kRight, "}} after end");
    }
    vars_.resize(mark);
    return n;
  }

  // After "{{else": either "}}" and a list up to {{end}}, or "if"/"with"
  // chaining another control that shares this one's {{end}}.
  std::shared_ptr<NodeList> parse_else(Node::Kind kind, const Token& kw) {
    auto list = std::make_shared<NodeList>();
    const Token& t = peek();
    bool chain = t.kind == Tok::kIdent && ((kind == Node::Kind::kIf && t.text == "if") ||
                                           (kind == Node::Kind::kWith && t.text == "with"));
    if (chain) {
      DepthGuard depth(*this);
      Node inner;
      inner.kind = kind;
      next();
      size_t mark = vars_.size();
      inner.pipe = parse_pipe(Tok::kRight, false);
      expect(Tok::kRight, "}}");
      inner.then_list = std::make_shared<NodeList>();
      std::string stop = parse_list(*inner.then_list);
      if (stop.empty()) fail(kw, "unexpected EOF: {{" + kw.text + "}} without {{end}}");
      if (stop == "else") {
        inner.else_list = parse_else(kind, kw);
      } else {
        expect(Tok::kRight, "}} after end");
      }
      vars_.resize(mark);
      list->push_back(std::move(inner));
      return list;
    }
    expect(Tok::kRight, "}} after else");
    std::string stop = parse_list(*list);
    if (stop != "end") fail(peek(), "expected {{end}} after {{else}}");
    expect(Tok::kRight, "}} after end");
    return list;
  }

  bool declared(const std::string& name) const {
    for (const auto& v : vars_) {
      if (v == name) return true;
    }
    return false;
  }

  std::shared_ptr<Pipe> parse_pipe(Tok end, bool in_range) {
    auto pipe = std::make_shared<Pipe>();
    parse_decl(*pipe, in_range);
    for (;;) {
      if (peek().kind == end) break;
      pipe->cmds.push_back(parse_command(end));
      if (peek().kind == Tok::kPipe) {
        next();
        if (peek().kind == end) fail(peek(), "missing command after |");
        continue;
      }
      break;
    }
    if (peek().kind != end) fail(peek(), "unexpected \"" + peek().text + "\" in command");
    if (pipe->cmds.empty()) fail(peek(), "missing value for command");
    return pipe;
  }

  // `$x :=`, `$x =`, and in range `$i, $e :=`.
  void parse_decl(Pipe& pipe, bool in_range) {
    if (peek().kind != Tok::kVariable) return;
    std::vector<std::string> names{peek().text};
    size_t ahead = 1;
    if (in_range && peek(1).kind == Tok::kComma && peek(2).kind == Tok::kVariable) {
      names.push_back(peek(2).text);
      ahead = 3;
    }
    Tok op = peek(ahead).kind;
    if (op != Tok::kDeclare && op != Tok::kAssign) return;
    if (names.size() == 2 && op != Tok::kDeclare && !in_range)
      fail(peek(), "too many declarations");
    for (size_t i = 0; i < ahead; ++i) next();
    next();
    pipe.assign = op == Tok::kAssign;
    for (const auto& n : names) {
      if (n == "$") fail(peek(), "cannot declare $");
      if (pipe.assign) {
        if (!declared(n)) fail(peek(), "undefined variable \"" + n + "\"");
      } else {
        vars_.push_back(n);
      }
    }
    pipe.decl = std::move(names);
  }

  Command parse_command(Tok end) {
    Command cmd;
    for (;;) {
      Tok k = peek().kind;
      if (k == end || k == Tok::kPipe) break;
      if (k == Tok::kRight || k == Tok::kRParen) fail(peek(), "unexpected \"" + peek().text + "\"");
      if (!cmd.args.empty() && !peek().space_before && k != Tok::kLParen) {
        fail(peek(), "missing space between operands");
      }
      cmd.args.push_back(parse_operand());
    }
    if (cmd.args.empty()) fail(peek(), "missing value for command");
    const Arg& first = cmd.args.front();
    if (first.kind == Arg::Kind::kLiteral && first.literal.is_null() && cmd.args.size() == 1) {
      fail(peek(), "nil is not a command");
    }
    return cmd;
  }

  // Field names written right after a term: (x).A.B, $v.A.
  void parse_chain(Arg& a) {
    while (peek().kind == Tok::kField && !peek().space_before) a.chain.push_back(next().text);
  }

  Arg parse_operand() {
    const Token& t = next();
    Arg a;
    switch (t.kind) {
      case Tok::kField:
        a.kind = Arg::Kind::kField;
        a.chain.push_back(t.text);
        parse_chain(a);
        return a;
      case Tok::kDot:
        a.kind = Arg::Kind::kDot;
        if (peek().kind == Tok::kField && !peek().space_before) fail(t, "unexpected . after term");
        return a;
      case Tok::kVariable:
        if (!declared(t.text)) fail(t, "undefined variable \"" + t.text + "\"");
        a.kind = Arg::Kind::kVariable;
        a.name = t.text;
        parse_chain(a);
        return a;
      case Tok::kString:
        a.literal = boost::json::string(t.text);
        return a;
      case Tok::kChar:
        a.literal = static_cast<int64_t>(std::stoll(t.text));
        return a;
      case Tok::kNumber:
        a.literal = number_literal(t);
        return a;
      case Tok::kLParen: {
        DepthGuard depth(*this);
        a.kind = Arg::Kind::kPipe;
        a.pipe = parse_pipe(Tok::kRParen, false);
        expect(Tok::kRParen, ")");
        parse_chain(a);
        return a;
      }
      case Tok::kIdent:
        return identifier(t);
      default:
        fail(t, "unexpected \"" + t.text + "\" in operand");
    }
  }

  Arg identifier(const Token& t) {
    Arg a;
    if (t.text == "true" || t.text == "false") {
      a.literal = t.text == "true";
      return a;
    }
    if (t.text == "nil") return a;  // a null literal
    if (is_keyword(t.text)) fail(t, "unexpected <" + t.text + "> in command");
    if (!is_builtin_function(t.text)) fail(t, "function \"" + t.text + "\" not defined");
    a.kind = Arg::Kind::kFunction;
    a.name = t.text;
    return a;
  }

  std::vector<Token> t_;
  size_t pos_ = 0;
  int depth_ = 0;
  int range_depth_ = 0;
  std::vector<std::string> vars_;
};

}  // namespace

bool is_builtin_function(std::string_view name) {
  static const std::set<std::string, std::less<>> f = {"and",   "or",    "not",    "eq",     "ne",
                                                       "lt",    "le",    "gt",     "ge",     "len",
                                                       "index", "print", "printf", "println"};
  return f.count(name) > 0;
}

std::shared_ptr<const NodeList> parse(std::string_view text) {
  return Parser(lex(text)).run();
}

}  // namespace hydra::deploy::gotmpl
