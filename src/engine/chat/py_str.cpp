#include "engine/chat/py_str.h"

#include "engine/chat/error.h"
#include "engine/chat/utf8.h"

namespace hydra::engine::jinja {

bool py_is_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

namespace {

bool is_linebreak(char32_t c) {
  return c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D || c == 0x1E ||
         c == 0x85 || c == 0x2028 || c == 0x2029;
}

char32_t to_upper(char32_t c) {
  if (c >= 'a' && c <= 'z') return c - 32;
  if ((c >= 0xE0 && c <= 0xFE && c != 0xF7)) return c - 32;
  if (c == 0xFF) return 0x178;
  if (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2) return c - 32;
  if (c == 0x3C2) return 0x3A3;
  if (c >= 0x430 && c <= 0x44F) return c - 32;
  if (c >= 0x450 && c <= 0x45F) return c - 80;
  return c;
}

char32_t to_lower(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
  if (c == 0x178) return 0xFF;
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 32;
  if (c >= 0x410 && c <= 0x42F) return c + 32;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  return c;
}

bool is_cased(char32_t c) {
  return to_upper(c) != c || to_lower(c) != c || c == 0xDF;
}

void append_upper(std::u32string& out, char32_t c) {
  if (c == 0xDF) {
    out += U"SS";
  } else {
    out += to_upper(c);
  }
}

bool in_set(char32_t c, const std::u32string& set) {
  return set.find(c) != std::u32string::npos;
}

}  // namespace

bool py_is_word(char32_t c) {
  if (c < 0x80)
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  return !py_is_space(c) && c != 0xA0 && !(c >= 0x2000 && c <= 0x206F) &&
         !(c >= 0x3000 && c <= 0x303F) && !(c >= 0xFF00 && c <= 0xFF0F) && c != 0xD7 && c != 0xF7 &&
         !(c >= 0x80 && c <= 0xBF);
}

std::string py_strip(std::string_view s, const std::optional<std::string>& chars, StripSide side) {
  std::u32string cps = utf8_decode(s);
  std::u32string set = chars ? utf8_decode(*chars) : std::u32string();
  auto strip_it = [&](char32_t c) { return chars ? in_set(c, set) : py_is_space(c); };
  size_t b = 0, e = cps.size();
  if (side != StripSide::kRight)
    while (b < e && strip_it(cps[b])) ++b;
  if (side != StripSide::kLeft)
    while (e > b && strip_it(cps[e - 1])) --e;
  if (is_ascii(s)) return std::string(s.substr(b, e - b));
  return utf8_encode(std::u32string_view(cps).substr(b, e - b));
}

std::vector<std::string> py_split(std::string_view s, const std::optional<std::string>& sep,
                                  int64_t maxsplit) {
  std::vector<std::string> out;
  if (sep) {
    if (sep->empty()) fail("empty separator");
    size_t pos = 0;
    while (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) {
      size_t hit = s.find(*sep, pos);
      if (hit == std::string_view::npos) break;
      out.emplace_back(s.substr(pos, hit - pos));
      pos = hit + sep->size();
    }
    out.emplace_back(s.substr(pos));
    return out;
  }
  std::u32string cps = utf8_decode(s);
  size_t i = 0;
  while (true) {
    while (i < cps.size() && py_is_space(cps[i])) ++i;
    if (i >= cps.size()) break;
    if (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit) {
      out.push_back(utf8_encode(std::u32string_view(cps).substr(i)));  // keeps trailing space
      break;
    }
    size_t b = i;
    while (i < cps.size() && !py_is_space(cps[i])) ++i;
    out.push_back(utf8_encode(std::u32string_view(cps).substr(b, i - b)));
  }
  return out;
}

std::vector<std::string> py_rsplit(std::string_view s, const std::optional<std::string>& sep,
                                   int64_t maxsplit) {
  if (maxsplit < 0) return py_split(s, sep, maxsplit);
  std::vector<std::string> out;
  if (sep) {
    if (sep->empty()) fail("empty separator");
    size_t end = s.size();
    while (static_cast<int64_t>(out.size()) < maxsplit) {
      if (end < sep->size()) break;
      size_t hit = s.rfind(*sep, end - sep->size());
      if (hit == std::string_view::npos) break;
      out.emplace_back(s.substr(hit + sep->size(), end - hit - sep->size()));
      end = hit;
    }
    out.emplace_back(s.substr(0, end));
  } else {
    std::u32string cps = utf8_decode(s);
    size_t i = cps.size();
    while (true) {
      while (i > 0 && py_is_space(cps[i - 1])) --i;
      if (i == 0) break;
      if (static_cast<int64_t>(out.size()) >= maxsplit) {
        size_t b = 0;
        while (b < i && py_is_space(cps[b])) ++b;
        out.push_back(utf8_encode(std::u32string_view(cps).substr(b, i - b)));
        break;
      }
      size_t e = i;
      while (i > 0 && !py_is_space(cps[i - 1])) --i;
      out.push_back(utf8_encode(std::u32string_view(cps).substr(i, e - i)));
    }
  }
  return {out.rbegin(), out.rend()};
}

std::vector<std::string> py_splitlines(std::string_view s, bool keepends) {
  std::vector<std::string> out;
  std::u32string cps = utf8_decode(s);
  size_t b = 0;
  for (size_t i = 0; i < cps.size(); ++i) {
    if (!is_linebreak(cps[i])) continue;
    size_t e = i + 1;
    if (cps[i] == '\r' && e < cps.size() && cps[e] == '\n') ++e;
    out.push_back(utf8_encode(std::u32string_view(cps).substr(b, (keepends ? e : i) - b)));
    b = e;
    i = e - 1;
  }
  if (b < cps.size()) out.push_back(utf8_encode(std::u32string_view(cps).substr(b)));
  return out;
}

std::string py_replace(std::string_view s, std::string_view old, std::string_view repl,
                       int64_t count, size_t max_size) {
  std::string out;
  if (old.empty()) {
    // Python inserts `repl` between every character and at both ends.
    std::u32string cps = utf8_decode(s);
    int64_t done = 0;
    for (size_t i = 0; i <= cps.size(); ++i) {
      if (count < 0 || done < count) {
        out += repl;
        ++done;
      }
      if (i < cps.size()) utf8_append(out, cps[i]);
      if (out.size() > max_size) fail("replace: result too large");
    }
    return out;
  }
  size_t pos = 0;
  int64_t done = 0;
  while (count < 0 || done < count) {
    size_t hit = s.find(old, pos);
    if (hit == std::string_view::npos) break;
    out.append(s.substr(pos, hit - pos));
    out.append(repl);
    if (out.size() > max_size) fail("replace: result too large");
    pos = hit + old.size();
    ++done;
  }
  out.append(s.substr(pos));
  return out;
}

std::string py_upper(std::string_view s) {
  std::u32string out;
  for (char32_t c : utf8_decode(s)) append_upper(out, c);
  return utf8_encode(out);
}

std::string py_lower(std::string_view s) {
  std::u32string cps = utf8_decode(s);
  for (char32_t& c : cps) c = to_lower(c);
  return utf8_encode(cps);
}

std::string py_title(std::string_view s) {
  std::u32string out;
  bool prev_cased = false;
  for (char32_t c : utf8_decode(s)) {
    if (prev_cased) {
      out += to_lower(c);
    } else {
      append_upper(out, c);
    }
    prev_cased = is_cased(c);
  }
  return utf8_encode(out);
}

std::string py_capitalize(std::string_view s) {
  std::u32string out;
  bool first = true;
  for (char32_t c : utf8_decode(s)) {
    if (first) {
      append_upper(out, c);
    } else {
      out += to_lower(c);
    }
    first = false;
  }
  return utf8_encode(out);
}

std::string jinja_title(std::string_view s) {
  // Words start after whitespace or one of -({[< ; first letter upper, rest lower.
  std::u32string out;
  bool word_start = true;
  for (char32_t c : utf8_decode(s)) {
    bool sep = py_is_space(c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<';
    if (sep) {
      out += c;
      word_start = true;
    } else if (word_start) {
      append_upper(out, c);
      word_start = false;
    } else {
      out += to_lower(c);
    }
  }
  return utf8_encode(out);
}

int64_t py_count(std::string_view s, std::string_view sub) {
  if (sub.empty()) return static_cast<int64_t>(utf8_length(s)) + 1;
  int64_t n = 0;
  for (size_t pos = s.find(sub); pos != std::string_view::npos; pos = s.find(sub, pos + sub.size()))
    ++n;
  return n;
}

int64_t py_find(std::string_view s, std::string_view sub, bool last) {
  size_t hit = last ? s.rfind(sub) : s.find(sub);
  if (hit == std::string_view::npos) return -1;
  return static_cast<int64_t>(utf8_length(s.substr(0, hit)));
}

}  // namespace hydra::engine::jinja
