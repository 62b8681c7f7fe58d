#include "engine/sampling/schema_grammar.h"

#include <algorithm>
#include <bit>

namespace hydra::engine {

namespace {

// Sub-states of the frames.
enum ObjectState : uint8_t { kObjOpen, kObjKey, kObjColon, kObjAfterValue, kObjComma };
enum ArrayState : uint8_t { kArrOpen, kArrAfterValue, kArrComma };
enum StringState : uint8_t { kStrChars, kStrEscape, kStrUnicode };
enum NumberState : uint8_t {
  kNumStart,
  kNumMinus,
  kNumZero,
  kNumInt,
  kNumDot,
  kNumFrac,
  kNumExp,
  kNumExpSign,
  kNumExpDigits,
};
enum LiteralList : uint8_t { kEnumList, kBoolList, kNullList };

const std::vector<std::string> kBoolLiterals = {"true", "false"};
const std::vector<std::string> kNullLiterals = {"null"};

bool is_digit(uint8_t b) {
  return b >= '0' && b <= '9';
}
bool is_hex(uint8_t b) {
  return is_digit(b) || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
}
uint64_t first_bits(size_t n) {
  return n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
}

const std::string& shorter(const std::string& a, const std::string& b) {
  return b.size() < a.size() ? b : a;
}

}  // namespace

SchemaGrammar::SchemaGrammar(const JsonSchema& schema) : schema_(&schema) {
  push(Kind::kValue, schema.root);
}

bool SchemaGrammar::advance(std::string_view bytes) {
  for (char c : bytes) {
    if (!advance(static_cast<uint8_t>(c))) return false;
  }
  return true;
}

bool SchemaGrammar::advance(uint8_t b) {
  if (space_ok_ && b == ' ') {
    space_ok_ = false;
    return true;
  }
  space_ok_ = false;
  while (!frames_.empty()) {
    const Result r = step(frames_.back(), b);
    if (r != Result::kPass) return r == Result::kAccept;
  }
  return false;  // the value is closed: nothing may follow
}

bool SchemaGrammar::push(Kind kind, int32_t node) {
  if (frames_.size() >= kMaxFrames) return false;
  Frame f;
  f.kind = kind;
  f.node = node;
  frames_.push_back(f);
  return true;
}

SchemaGrammar::Result SchemaGrammar::pop() {
  frames_.pop_back();
  return Result::kAccept;
}

SchemaGrammar::Result SchemaGrammar::step(Frame& f, uint8_t b) {
  switch (f.kind) {
    case Kind::kValue:
      return start_value(f, b);
    case Kind::kObject:
      return schema_->nodes[f.node].properties.empty() ? free_object_byte(f, b) : object_byte(f, b);
    case Kind::kArray:
      return array_byte(f, b);
    case Kind::kString:
      return string_byte(f, b);
    case Kind::kNumber:
      return number_byte(f, b);
    case Kind::kLiteral:
      return literal_byte(f, b);
  }
  return Result::kReject;
}

// The first byte of a value decides which of the node's types it is.
SchemaGrammar::Result SchemaGrammar::start_value(Frame& f, uint8_t b) {
  const SchemaNode& n = schema_->nodes[f.node];
  auto literal = [&](LiteralList list, size_t count) {
    f.kind = Kind::kLiteral;
    f.state = list;
    f.alive = first_bits(count);
    f.pos = 0;
    return literal_byte(f, b);
  };
  if (!n.literals.empty()) return literal(kEnumList, n.literals.size());
  switch (b) {
    case '{':
      if (!(n.types & kJsonObject)) return Result::kReject;
      f.kind = Kind::kObject;
      f.state = kObjOpen;
      return Result::kAccept;
    case '[':
      if (!(n.types & kJsonArray)) return Result::kReject;
      f.kind = Kind::kArray;
      f.state = kArrOpen;
      return Result::kAccept;
    case '"':
      if (!(n.types & kJsonString)) return Result::kReject;
      f.kind = Kind::kString;
      f.state = kStrChars;
      return Result::kAccept;
    case 't':
    case 'f':
      if (!(n.types & kJsonBoolean)) return Result::kReject;
      return literal(kBoolList, 2);
    case 'n':
      if (!(n.types & kJsonNull)) return Result::kReject;
      return literal(kNullList, 1);
    default:
      if (!(n.types & (kJsonNumber | kJsonInteger)) || !(b == '-' || is_digit(b)))
        return Result::kReject;
      f.kind = Kind::kNumber;
      f.state = kNumStart;
      f.flag = !(n.types & kJsonNumber);
      return number_byte(f, b);
  }
}

// Objects that declare properties: keys in declared order, no others.
SchemaGrammar::Result SchemaGrammar::object_byte(Frame& f, uint8_t b) {
  const SchemaNode& n = schema_->nodes[f.node];
  const auto count = static_cast<int32_t>(n.properties.size());
  switch (f.state) {
    case kObjOpen:
      if (b == '}') return required_from(n, f.next) ? Result::kReject : pop();
      [[fallthrough]];
    case kObjComma:
      if (b != '"') return Result::kReject;
      f.alive = key_candidates(n, f.next);
      f.pos = 1;
      f.state = kObjKey;
      return f.alive ? Result::kAccept : Result::kReject;
    case kObjKey:
      return key_byte(f, b);
    case kObjColon:
      if (b != ':') return Result::kReject;
      f.state = kObjAfterValue;
      space_ok_ = true;
      return push(Kind::kValue, n.properties[f.current].node) ? Result::kAccept : Result::kReject;
    case kObjAfterValue:
      if (b == ',' && f.next < count) {
        f.state = kObjComma;
        space_ok_ = true;
        return Result::kAccept;
      }
      if (b == '}' && !required_from(n, f.next)) return pop();
      return Result::kReject;
  }
  return Result::kReject;
}

SchemaGrammar::Result SchemaGrammar::key_byte(Frame& f, uint8_t b) {
  const SchemaNode& n = schema_->nodes[f.node];
  uint64_t alive = 0;
  for (uint64_t m = f.alive; m; m &= m - 1) {
    const int k = std::countr_zero(m);
    const std::string& key = n.properties[k].key;
    if (f.pos < key.size() && static_cast<uint8_t>(key[f.pos]) == b) alive |= uint64_t{1} << k;
  }
  if (!alive) return Result::kReject;
  f.alive = alive;
  ++f.pos;
  // Keys are JSON strings, so none is a prefix of another: a whole one is the only one left.
  const int k = std::countr_zero(alive);
  if (n.properties[k].key.size() == f.pos) {
    f.current = k;
    f.next = k + 1;
    f.state = kObjColon;
  }
  return Result::kAccept;
}

// Objects without declared properties: any keys with any values, or only
// `{}` when additionalProperties is false.
SchemaGrammar::Result SchemaGrammar::free_object_byte(Frame& f, uint8_t b) {
  const SchemaNode& n = schema_->nodes[f.node];
  switch (f.state) {
    case kObjOpen:
      if (b == '}') return pop();
      if (!n.open) return Result::kReject;
      [[fallthrough]];
    case kObjComma:
      if (b != '"') return Result::kReject;
      f.state = kObjColon;
      if (!push(Kind::kString, JsonSchema::kAny)) return Result::kReject;
      frames_.back().flag = true;
      return Result::kAccept;
    case kObjColon:
      if (b != ':') return Result::kReject;
      f.state = kObjAfterValue;
      space_ok_ = true;
      return push(Kind::kValue, JsonSchema::kAny) ? Result::kAccept : Result::kReject;
    case kObjAfterValue:
      if (b == ',') {
        f.state = kObjComma;
        space_ok_ = true;
        return Result::kAccept;
      }
      return b == '}' ? pop() : Result::kReject;
  }
  return Result::kReject;
}

SchemaGrammar::Result SchemaGrammar::array_byte(Frame& f, uint8_t b) {
  const int32_t items = schema_->nodes[f.node].items;
  switch (f.state) {
    case kArrOpen:
      if (b == ']') return pop();
      [[fallthrough]];
    case kArrComma:
      f.state = kArrAfterValue;
      if (!push(Kind::kValue, items)) return Result::kReject;
      return step(frames_.back(), b);
    case kArrAfterValue:
      if (b == ',') {
        f.state = kArrComma;
        space_ok_ = true;
        return Result::kAccept;
      }
      return b == ']' ? pop() : Result::kReject;
  }
  return Result::kReject;
}

// Strict JSON strings: valid UTF-8 (no overlong forms, no surrogates), no
// control bytes, escapes as RFC 8259 has them minus surrogate \u escapes.
SchemaGrammar::Result SchemaGrammar::string_byte(Frame& f, uint8_t b) {
  switch (f.state) {
    case kStrEscape:
      if (b == 'u') {
        f.state = kStrUnicode;
        f.hex_count = 0;
        return Result::kAccept;
      }
      if (b == '"' || b == '\\' || b == '/' || b == 'b' || b == 'f' || b == 'n' || b == 'r' ||
          b == 't') {
        f.state = kStrChars;
        return Result::kAccept;
      }
      return Result::kReject;
    case kStrUnicode:
      if (!is_hex(b)) return Result::kReject;
      if (f.hex_count == 0) f.hex_high_d = b == 'd' || b == 'D';
      if (f.hex_count == 1 && f.hex_high_d && b >= '8') return Result::kReject;
      if (++f.hex_count == 4) f.state = kStrChars;
      return Result::kAccept;
    default:
      break;
  }
  if (f.utf8_left > 0) {
    if (b < f.utf8_lo || b > f.utf8_hi) return Result::kReject;
    --f.utf8_left;
    f.utf8_lo = 0x80;
    f.utf8_hi = 0xBF;
    return Result::kAccept;
  }
  if (b == '"') return pop();
  if (b == '\\') {
    f.state = kStrEscape;
    return Result::kAccept;
  }
  if (b < 0x20) return Result::kReject;
  if (b < 0x80) return Result::kAccept;
  if (b >= 0xC2 && b <= 0xDF) {
    f.utf8_left = 1;
  } else if (b >= 0xE0 && b <= 0xEF) {
    f.utf8_left = 2;
    if (b == 0xE0) f.utf8_lo = 0xA0;
    if (b == 0xED) f.utf8_hi = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    f.utf8_left = 3;
    if (b == 0xF0) f.utf8_lo = 0x90;
    if (b == 0xF4) f.utf8_hi = 0x8F;
  } else {
    return Result::kReject;
  }
  return Result::kAccept;
}

// Numbers stay within what every JSON reader turns into a finite double
// (and integers within 2^53): at most 15 digits before and after the point,
// two in the exponent.
SchemaGrammar::Result SchemaGrammar::number_byte(Frame& f, uint8_t b) {
  constexpr uint32_t kMaxDigits = 15, kMaxExpDigits = 2;
  const bool integer = f.flag;
  auto to = [&](uint8_t s) {
    f.state = s;
    f.pos = is_digit(b) ? 1 : 0;  // digits in the new part
    return Result::kAccept;
  };
  auto digit = [&](uint32_t limit) { return ++f.pos <= limit ? Result::kAccept : Result::kReject; };
  auto end = [&] {  // the number ended before b; b belongs to the parent
    frames_.pop_back();
    return Result::kPass;
  };
  switch (f.state) {
    case kNumStart:
      if (b == '-') return to(kNumMinus);
      [[fallthrough]];
    case kNumMinus:
      if (!is_digit(b)) return Result::kReject;
      return to(b == '0' ? kNumZero : kNumInt);
    case kNumInt:
      if (is_digit(b)) return digit(kMaxDigits);
      [[fallthrough]];
    case kNumZero:
      if (!integer && b == '.') return to(kNumDot);
      if (!integer && (b == 'e' || b == 'E')) return to(kNumExp);
      return end();
    case kNumDot:
      return is_digit(b) ? to(kNumFrac) : Result::kReject;
    case kNumFrac:
      if (is_digit(b)) return digit(kMaxDigits);
      if (b == 'e' || b == 'E') return to(kNumExp);
      return end();
    case kNumExp:
      if (b == '+' || b == '-') return to(kNumExpSign);
      [[fallthrough]];
    case kNumExpSign:
      return is_digit(b) ? to(kNumExpDigits) : Result::kReject;
    case kNumExpDigits:
      return is_digit(b) ? digit(kMaxExpDigits) : end();
  }
  return Result::kReject;
}

bool SchemaGrammar::can_continue() const {
  for (int b = 0; b < 256; ++b) {
    SchemaGrammar next = *this;
    if (next.advance(static_cast<uint8_t>(b))) return true;
  }
  return false;
}

const std::vector<std::string>& SchemaGrammar::literals(const Frame& f) const {
  if (f.state == kBoolList) return kBoolLiterals;
  if (f.state == kNullList) return kNullLiterals;
  return schema_->nodes[f.node].literals;
}

SchemaGrammar::Result SchemaGrammar::literal_byte(Frame& f, uint8_t b) {
  const std::vector<std::string>& lits = literals(f);
  uint64_t alive = 0;
  bool whole = false;  // a candidate already ended before b
  for (uint64_t m = f.alive; m; m &= m - 1) {
    const int k = std::countr_zero(m);
    if (f.pos >= lits[k].size()) {
      whole = true;
    } else if (static_cast<uint8_t>(lits[k][f.pos]) == b) {
      alive |= uint64_t{1} << k;
    }
  }
  if (alive) {
    f.alive = alive;
    ++f.pos;
    bool all_whole = true;
    for (uint64_t m = alive; m; m &= m - 1) all_whole &= lits[std::countr_zero(m)].size() == f.pos;
    return all_whole ? pop() : Result::kAccept;
  }
  if (!whole) return Result::kReject;
  frames_.pop_back();  // e.g. enum [1, 10] after "1": b belongs to the parent
  return Result::kPass;
}

uint64_t SchemaGrammar::key_candidates(const SchemaNode& n, int32_t from) const {
  uint64_t m = 0;
  for (auto k = static_cast<size_t>(from); k < n.properties.size(); ++k) {
    m |= uint64_t{1} << k;
    if (n.properties[k].required) break;  // a required property cannot be skipped
  }
  return m;
}

bool SchemaGrammar::required_from(const SchemaNode& n, int32_t from) const {
  for (auto k = static_cast<size_t>(from); k < n.properties.size(); ++k) {
    if (n.properties[k].required) return true;
  }
  return false;
}

std::string SchemaGrammar::required_tail(const SchemaNode& n, int32_t from, bool first) const {
  std::string out;
  for (auto k = static_cast<size_t>(from); k < n.properties.size(); ++k) {
    const SchemaProperty& p = n.properties[k];
    if (!p.required) continue;
    if (!first) out += ',';
    first = false;
    out += p.key + ":" + schema_->nodes[p.node].shortest;
  }
  return out;
}

bool SchemaGrammar::may_end() const {
  if (frames_.empty()) return true;
  if (frames_.size() > 1) return false;
  const Frame& f = frames_.back();
  if (f.kind == Kind::kNumber) {
    return f.state == kNumZero || f.state == kNumInt || f.state == kNumFrac ||
           f.state == kNumExpDigits;
  }
  if (f.kind == Kind::kLiteral) {
    const std::vector<std::string>& lits = literals(f);
    for (uint64_t m = f.alive; m; m &= m - 1) {
      if (lits[std::countr_zero(m)].size() == f.pos) return true;
    }
  }
  return false;
}

std::string SchemaGrammar::completion() const {
  std::string out;
  for (size_t i = frames_.size(); i > 0; --i) out += frame_completion(frames_[i - 1]);
  return out;
}

// What closes one frame, given the state it is in (a parent's state is
// already the one it takes when its child ends).
std::string SchemaGrammar::frame_completion(const Frame& f) const {
  const SchemaNode& n = schema_->nodes[f.node];
  switch (f.kind) {
    case Kind::kValue:
      return n.shortest;
    case Kind::kString:
      return string_completion(f);
    case Kind::kNumber:
      return f.state == kNumMinus || f.state == kNumDot || f.state == kNumExp ||
                     f.state == kNumExpSign
                 ? "0"
                 : "";
    case Kind::kLiteral: {
      const std::vector<std::string>& lits = literals(f);
      std::string best;
      bool found = false;
      for (uint64_t m = f.alive; m; m &= m - 1) {
        const std::string rest = lits[std::countr_zero(m)].substr(f.pos);
        if (!found || rest.size() < best.size()) best = rest;
        found = true;
      }
      return best;
    }
    case Kind::kArray:
      return f.state == kArrComma ? schema_->nodes[n.items].shortest + "]" : "]";
    case Kind::kObject:
      if (!n.properties.empty()) return object_completion(f);
      if (f.state == kObjColon) return ":0}";
      if (f.state == kObjComma) return "\"\":0}";
      return "}";
  }
  return "";
}

std::string SchemaGrammar::object_completion(const Frame& f) const {
  const SchemaNode& n = schema_->nodes[f.node];
  auto with_value = [&](size_t k) {
    return ":" + schema_->nodes[n.properties[k].node].shortest +
           required_tail(n, static_cast<int32_t>(k) + 1, false) + "}";
  };
  switch (f.state) {
    case kObjOpen:
      return required_tail(n, f.next, true) + "}";
    case kObjKey: {
      std::string best;
      bool found = false;
      for (uint64_t m = f.alive; m; m &= m - 1) {
        const int k = std::countr_zero(m);
        std::string s = n.properties[k].key.substr(f.pos) + with_value(k);
        if (!found || s.size() < best.size()) best = std::move(s);
        found = true;
      }
      return best;
    }
    case kObjColon:
      return with_value(static_cast<size_t>(f.current));
    case kObjAfterValue:
      return required_tail(n, f.next, false) + "}";
    case kObjComma: {
      if (required_from(n, f.next)) return required_tail(n, f.next, true) + "}";
      std::string best;
      for (auto k = static_cast<size_t>(f.next); k < n.properties.size(); ++k) {
        std::string s = n.properties[k].key + with_value(k);
        best = best.empty() ? s : shorter(best, s);
      }
      return best;
    }
  }
  return "}";
}

std::string SchemaGrammar::string_completion(const Frame& f) const {
  std::string out;
  if (f.state == kStrEscape) out += 'n';
  if (f.state == kStrUnicode) out.append(4 - f.hex_count, '0');
  if (f.state == kStrChars && f.utf8_left > 0) {
    out += static_cast<char>(f.utf8_lo);
    out.append(f.utf8_left - 1, static_cast<char>(0x80));
  }
  return out + '"';
}

}  // namespace hydra::engine
