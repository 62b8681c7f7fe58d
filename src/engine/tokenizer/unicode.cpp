#include "engine/tokenizer/unicode.h"

#include <algorithm>
#include <array>
#include <memory>

#include "engine/tokenizer/unicode_data.h"

namespace hydra::engine {
namespace {

namespace ud = unicode_data;

uint8_t lookup_flags(uint32_t cp) {
  const uint32_t* begin = ud::kClassRanges;
  const uint32_t* end = begin + ud::kClassRangeCount;
  // First entry whose start is greater than cp, then step back one.
  const uint32_t* it =
      std::upper_bound(begin, end, cp, [](uint32_t c, uint32_t entry) { return c < (entry >> 4); });
  return static_cast<uint8_t>(*(it - 1) & 0xF);
}

// The Basic Multilingual Plane is looked up so often that a flat table pays.
const std::array<uint8_t, 0x10000>& bmp_flags() {
  static const std::unique_ptr<std::array<uint8_t, 0x10000>> table = [] {
    auto t = std::make_unique<std::array<uint8_t, 0x10000>>();
    for (size_t i = 0; i < ud::kClassRangeCount; ++i) {
      uint32_t start = ud::kClassRanges[i] >> 4;
      uint32_t stop = i + 1 < ud::kClassRangeCount ? ud::kClassRanges[i + 1] >> 4 : 0x110000;
      uint8_t flags = ud::kClassRanges[i] & 0xF;
      for (uint32_t cp = start; cp < stop && cp < 0x10000; ++cp) (*t)[cp] = flags;
    }
    return t;
  }();
  return *table;
}

bool in_ranges(const ud::CodepointPair* ranges, size_t count, uint32_t cp) {
  const ud::CodepointPair* end = ranges + count;
  const ud::CodepointPair* it = std::upper_bound(
      ranges, end, cp, [](uint32_t c, const ud::CodepointPair& r) { return c < r.first; });
  return it != ranges && cp <= (it - 1)->second;
}

constexpr uint32_t kHangulBase = 0xAC00, kHangulCount = 11172;
constexpr uint32_t kJamoL = 0x1100, kJamoV = 0x1161, kJamoT = 0x11A7;
constexpr uint32_t kJamoVCount = 21, kJamoTCount = 28;

}  // namespace

uint8_t cp_flags(uint32_t cp) {
  if (cp < 0x10000) return bmp_flags()[cp];
  if (cp >= 0x110000) return static_cast<uint8_t>(CpClass::kOther);
  return lookup_flags(cp);
}

uint32_t cp_to_lower(uint32_t cp) {
  if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
  const ud::CodepointPair* end = ud::kLowercase + ud::kLowercaseCount;
  const ud::CodepointPair* it = std::lower_bound(
      ud::kLowercase, end, cp, [](const ud::CodepointPair& p, uint32_t c) { return p.first < c; });
  return (it != end && it->first == cp) ? it->second : cp;
}

void append_accent_stripped(uint32_t cp, std::vector<uint32_t>& out) {
  if (cp < 0xC0) {
    out.push_back(cp);
    return;
  }
  if (cp >= kHangulBase && cp < kHangulBase + kHangulCount) {
    // Hangul syllables decompose arithmetically into conjoining jamo.
    uint32_t s = cp - kHangulBase;
    out.push_back(kJamoL + s / (kJamoVCount * kJamoTCount));
    out.push_back(kJamoV + (s % (kJamoVCount * kJamoTCount)) / kJamoTCount);
    if (s % kJamoTCount != 0) out.push_back(kJamoT + s % kJamoTCount);
    return;
  }
  if (cp_class(cp) == CpClass::kMarkNonspacing) return;
  const ud::StrippedDecomposition* end = ud::kStripped + ud::kStrippedCount;
  const ud::StrippedDecomposition* it =
      std::lower_bound(ud::kStripped, end, cp,
                       [](const ud::StrippedDecomposition& d, uint32_t c) { return d.cp < c; });
  if (it == end || it->cp != cp) {
    out.push_back(cp);
    return;
  }
  for (uint32_t kept : it->kept) {
    if (kept != 0) out.push_back(kept);
  }
}

bool cp_is_cjk_ideograph(uint32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

bool cp_in_deepseek_letters(uint32_t cp) {
  return in_ranges(ud::kDeepseekLetters, ud::kDeepseekLetterCount, cp);
}

Utf8Step utf8_step(const unsigned char* s, size_t n) {
  unsigned char b0 = s[0];
  if (b0 < 0x80) return {Utf8Status::kComplete, 1, b0};
  size_t need;
  uint32_t cp;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 2;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 3;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;  // no overlong forms
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 4;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;  // no overlong forms
    if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return {Utf8Status::kInvalid, 1, 0};
  }
  for (size_t k = 1; k < need; ++k) {
    if (k >= n) return {Utf8Status::kIncomplete, n, 0};
    unsigned char b = s[k];
    unsigned char min = k == 1 ? lo : 0x80, max = k == 1 ? hi : 0xBF;
    if (b < min || b > max) return {Utf8Status::kInvalid, k, 0};
    cp = (cp << 6) | (b & 0x3F);
  }
  return {Utf8Status::kComplete, need, cp};
}

void decode_utf8(std::string_view text, DecodedText& out) {
  out.cps.clear();
  out.flags.clear();
  out.offsets.clear();
  out.cps.reserve(text.size());
  out.offsets.reserve(text.size() + 1);
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t i = 0;
  while (i < text.size()) {
    Utf8Step step = utf8_step(s + i, text.size() - i);
    out.offsets.push_back(static_cast<uint32_t>(i));
    if (step.status == Utf8Status::kComplete) {
      out.cps.push_back(step.cp);
      i += step.length;
    } else {
      out.cps.push_back(kReplacementChar);
      i += 1;
    }
  }
  out.offsets.push_back(static_cast<uint32_t>(text.size()));
  out.flags.resize(out.cps.size());
  for (size_t k = 0; k < out.cps.size(); ++k) out.flags[k] = cp_flags(out.cps[k]);
}

void append_utf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string utf8_sanitize(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t i = 0;
  while (i < text.size()) {
    Utf8Step step = utf8_step(s + i, text.size() - i);
    if (step.status == Utf8Status::kComplete) {
      out.append(text.substr(i, step.length));
    } else {
      append_utf8(kReplacementChar, out);
    }
    i += step.length;
  }
  return out;
}

}  // namespace hydra::engine
