#include "engine/chat/tool_call_stream.h"

#include <algorithm>
#include <boost/json.hpp>

namespace hydra::engine::chat {

namespace {

constexpr std::string_view kOpen = "<tool_call>";
constexpr std::string_view kClose = "</tool_call>";
constexpr std::string_view kPythonTag = "<|python_tag|>";

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Length of the longest end of `text` that is the start of `tag` (and not
// all of it): text that must wait for the next piece before it is known.
size_t partial_suffix(std::string_view text, std::string_view tag) {
  for (size_t n = std::min(text.size(), tag.size() - 1); n > 0; --n) {
    if (text.substr(text.size() - n) == tag.substr(0, n)) return n;
  }
  return 0;
}

enum class Scan { kMore, kFail, kDone };

struct Header {
  std::string name;
  size_t end = 0;         // where the arguments' value (or the closing brace) starts
  bool has_args = false;  // false: `{"name": "f"}`
};

// Reads `{"name": "<name>", "arguments"|"parameters": ` from the start of s.
class HeaderScanner {
 public:
  explicit HeaderScanner(std::string_view s) : s_(s) {}

  Scan run(Header& h) {
    Scan r = Scan::kDone;
    if ((r = literal("{")) != Scan::kDone) return r;
    if ((r = literal("\"name\"")) != Scan::kDone) return r;
    if ((r = literal(":")) != Scan::kDone) return r;
    if ((r = name(h.name)) != Scan::kDone) return r;
    skip_space();
    if (i_ >= s_.size()) return Scan::kMore;
    if (s_[i_] == '}') {
      h.end = i_;
      return Scan::kDone;
    }
    if ((r = literal(",")) != Scan::kDone) return r;
    const size_t key = i_;
    Scan a = literal("\"arguments\"");
    if (a != Scan::kDone) {
      i_ = key;
      Scan p = literal("\"parameters\"");
      if (p == Scan::kFail) return a;
      if (p == Scan::kMore) return Scan::kMore;
    }
    if ((r = literal(":")) != Scan::kDone) return r;
    skip_space();
    if (i_ >= s_.size()) return Scan::kMore;
    h.end = i_;
    h.has_args = true;
    return Scan::kDone;
  }

 private:
  void skip_space() {
    while (i_ < s_.size() && is_space(s_[i_])) ++i_;
  }

  // `t` after optional whitespace.
  Scan literal(std::string_view t) {
    skip_space();
    const size_t n = std::min(t.size(), s_.size() - i_);
    if (s_.substr(i_, n) != t.substr(0, n)) return Scan::kFail;
    if (n < t.size()) return Scan::kMore;
    i_ += n;
    return Scan::kDone;
  }

  // A non-empty JSON string.
  Scan name(std::string& out) {
    skip_space();
    if (i_ >= s_.size()) return Scan::kMore;
    if (s_[i_] != '"') return Scan::kFail;
    bool escaped = false;
    size_t j = i_ + 1;
    for (; j < s_.size(); ++j) {
      if (escaped) {
        escaped = false;
      } else if (s_[j] == '\\') {
        escaped = true;
      } else if (s_[j] == '"') {
        break;
      }
    }
    if (j >= s_.size()) return Scan::kMore;
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(s_.substr(i_, j + 1 - i_), ec);
    if (ec || !v.is_string() || v.as_string().empty()) return Scan::kFail;
    out = std::string(v.as_string());
    i_ = j + 1;
    return Scan::kDone;
  }

  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

ToolCallStream::ToolCallStream(ToolCallFormat format, IdGenerator make_id)
    : format_(format), make_id_(std::move(make_id)) {
  if (format_ == ToolCallFormat::kNone) state_ = State::kPlain;
}

std::vector<ToolCallPiece> ToolCallStream::push(std::string_view text) {
  std::vector<ToolCallPiece> out;
  buf_.append(text);
  run(out);
  return out;
}

void ToolCallStream::run(std::vector<ToolCallPiece>& out) {
  for (;;) {
    bool more = false;
    switch (state_) {
      case State::kContent:
        more = format_ == ToolCallFormat::kHermes ? step_content(out) : step_llama_start(out);
        break;
      case State::kHeader:
        more = step_header(out);
        break;
      case State::kArguments:
        more = step_arguments(out);
        break;
      case State::kTail:
        more = step_tail();
        break;
      case State::kPlain:
        emit_content(buf_, out);
        buf_.clear();
        break;
      case State::kRaw:
        raw_ += buf_;
        buf_.clear();
        break;
    }
    if (!more) return;
  }
}

bool ToolCallStream::step_content(std::vector<ToolCallPiece>& out) {
  const size_t open = buf_.find(kOpen);
  if (open != std::string::npos) {
    emit_content(std::string_view(buf_).substr(0, open), out);
    buf_.erase(0, open + kOpen.size());
    markup_ = kOpen;
    state_ = State::kHeader;
    return true;
  }
  const size_t ready = buf_.size() - partial_suffix(buf_, kOpen);
  emit_content(std::string_view(buf_).substr(0, ready), out);
  buf_.erase(0, ready);
  return false;
}

// Llama 3: a reply that is a call starts with `{` (maybe after
// <|python_tag|>); any other reply is plain content.
bool ToolCallStream::step_llama_start(std::vector<ToolCallPiece>&) {
  size_t i = 0;
  while (i < buf_.size() && is_space(buf_[i])) ++i;
  if (i == buf_.size()) return false;
  const std::string_view rest = std::string_view(buf_).substr(i);
  if (rest.starts_with(kPythonTag)) {
    markup_.append(buf_, 0, i + kPythonTag.size());
    buf_.erase(0, i + kPythonTag.size());
    return true;
  }
  if (kPythonTag.starts_with(rest)) return false;
  if (rest.front() == '{') {
    markup_.append(buf_, 0, i);
    buf_.erase(0, i);
    state_ = State::kHeader;
  } else {
    buf_.insert(0, markup_);
    markup_.clear();
    state_ = State::kPlain;
  }
  return true;
}

bool ToolCallStream::step_header(std::vector<ToolCallPiece>& out) {
  Header h;
  const Scan r = HeaderScanner(buf_).run(h);
  if (r == Scan::kMore) return false;
  if (r == Scan::kFail) {
    start_raw();
    return false;
  }
  ToolCallPiece start;
  start.kind = ToolCallPiece::Kind::kCallStart;
  start.index = calls_++;
  start.id = make_id_();
  start.name = std::move(h.name);
  out.push_back(std::move(start));
  pending_ws_.clear();
  after_call_ = true;
  markup_.clear();
  buf_.erase(0, h.end);
  if (h.has_args) {
    state_ = State::kArguments;
    depth_ = 0;
    in_string_ = escaped_ = value_started_ = string_value_ = false;
    scanned_ = 0;
  } else {
    emit_arguments("{}", out);
    state_ = State::kTail;
  }
  return true;
}

// The arguments' JSON value, sent as it arrives. A value given as a JSON
// string (arguments already encoded as text) is sent decoded, once whole.
bool ToolCallStream::step_arguments(std::vector<ToolCallPiece>& out) {
  if (!value_started_) {
    size_t i = 0;
    while (i < buf_.size() && is_space(buf_[i])) ++i;
    buf_.erase(0, i);
    if (buf_.empty()) return false;
    value_started_ = true;
    string_value_ = buf_.front() == '"';
  }
  size_t end = std::string::npos;
  for (; scanned_ < buf_.size() && end == std::string::npos; ++scanned_) {
    const char c = buf_[scanned_];
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
        if (depth_ == 0) end = scanned_ + 1;
      }
    } else if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      ++depth_;
    } else if (c == '}' || c == ']') {
      if (depth_ == 0) {
        end = scanned_;  // a bare scalar ended by the call's closing brace
      } else if (--depth_ == 0) {
        end = scanned_ + 1;
      }
    } else if (c == ',' && depth_ == 0) {
      end = scanned_;
    }
  }
  if (end == std::string::npos) {
    if (string_value_) return false;
    emit_arguments(buf_, out);
    buf_.clear();
    scanned_ = 0;
    return false;
  }
  const std::string_view value = std::string_view(buf_).substr(0, end);
  if (string_value_) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(value, ec);
    emit_arguments(!ec && v.is_string() ? std::string_view(v.as_string()) : value, out);
  } else {
    emit_arguments(value, out);
  }
  buf_.erase(0, end);
  state_ = State::kTail;
  return true;
}

// After the arguments: the rest of the call's markup is dropped.
bool ToolCallStream::step_tail() {
  if (format_ == ToolCallFormat::kHermes) {
    const size_t close = buf_.find(kClose);
    const size_t open = buf_.find(kOpen);
    if (close != std::string::npos && (open == std::string::npos || close < open)) {
      buf_.erase(0, close + kClose.size());
      state_ = State::kContent;
      return true;
    }
    if (open != std::string::npos) {  // the next call, without a closing tag
      buf_.erase(0, open);
      state_ = State::kContent;
      return true;
    }
    const size_t keep = std::max(partial_suffix(buf_, kClose), partial_suffix(buf_, kOpen));
    buf_.erase(0, buf_.size() - keep);
    return false;
  }
  // Llama 3: `}` then maybe `;` and the next call.
  size_t i = 0;
  while (i < buf_.size() && (is_space(buf_[i]) || buf_[i] == '}')) ++i;
  if (i < buf_.size() && buf_[i] == ';') {
    buf_.erase(0, i + 1);
    state_ = State::kContent;
    return true;
  }
  buf_.clear();
  return false;
}

void ToolCallStream::start_raw() {
  raw_ = markup_ + buf_;
  markup_.clear();
  buf_.clear();
  state_ = State::kRaw;
}

void ToolCallStream::emit_content(std::string_view text, std::vector<ToolCallPiece>& out) {
  if (after_call_) {
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    if (text.empty()) return;
  }
  size_t end = text.size();
  while (end > 0 && is_space(text[end - 1])) --end;
  if (end == 0) {
    pending_ws_.append(text);
    return;
  }
  std::string piece = pending_ws_;
  piece.append(text.substr(0, end));
  pending_ws_.assign(text.substr(end));
  after_call_ = false;
  if (!out.empty() && out.back().kind == ToolCallPiece::Kind::kContent) {
    out.back().text += piece;
    return;
  }
  ToolCallPiece p;
  p.text = std::move(piece);
  out.push_back(std::move(p));
}

void ToolCallStream::emit_arguments(std::string_view text, std::vector<ToolCallPiece>& out) {
  if (text.empty()) return;
  const int index = calls_ - 1;
  if (!out.empty() && out.back().kind == ToolCallPiece::Kind::kArguments &&
      out.back().index == index) {
    out.back().text.append(text);
    return;
  }
  ToolCallPiece p;
  p.kind = ToolCallPiece::Kind::kArguments;
  p.index = index;
  p.text = std::string(text);
  out.push_back(std::move(p));
}

std::vector<ToolCallPiece> ToolCallStream::finish() {
  std::vector<ToolCallPiece> out;
  run(out);
  switch (state_) {
    case State::kContent:
    case State::kPlain:
      emit_content(markup_ + buf_, out);
      break;
    case State::kHeader:
      start_raw();
      break;
    case State::kArguments:
      emit_arguments(buf_, out);  // cut off: what there is
      break;
    case State::kTail:
    case State::kRaw:
      break;
  }
  markup_.clear();
  buf_.clear();
  if (state_ == State::kRaw) {
    ParsedReply reply = parse_tool_calls(raw_, format_, make_id_);
    if (reply.content) emit_content(*reply.content, out);
    for (ToolCall& call : reply.tool_calls) {
      ToolCallPiece start;
      start.kind = ToolCallPiece::Kind::kCallStart;
      start.index = calls_++;
      start.id = std::move(call.id);
      start.name = std::move(call.name);
      out.push_back(std::move(start));
      after_call_ = true;
      emit_arguments(call.arguments, out);
    }
    raw_.clear();
  }
  // A reply without calls is sent exactly; with calls, its content is trimmed.
  if (calls_ == 0 && !pending_ws_.empty()) {
    ToolCallPiece p;
    p.text = pending_ws_;
    out.push_back(std::move(p));
  }
  pending_ws_.clear();
  state_ = State::kTail;
  return out;
}

}  // namespace hydra::engine::chat
