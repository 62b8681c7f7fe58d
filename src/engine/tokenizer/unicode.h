#pragma once
// Unicode facts the tokenizers need: a coarse general category and the
// White_Space property per code point, simple lowercasing, accent stripping,
// and UTF-8 decoding that survives invalid input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hydra::engine {

// Coarse general category (the first letter of the Unicode category, with
// marks split into nonspacing and the rest).
enum class CpClass : uint8_t {
  kOther = 0,  // C*: controls, format, unassigned, private use, surrogates
  kLetter = 1,
  kNumber = 2,
  kPunct = 3,
  kSymbol = 4,
  kMarkNonspacing = 5,
  kMarkOther = 6,
  kSeparator = 7,
};

constexpr uint8_t kCpClassMask = 0x7;
constexpr uint8_t kCpWhitespace = 0x8;  // the White_Space property
constexpr uint32_t kReplacementChar = 0xFFFD;

// Class bits and the whitespace bit of a code point (any value is accepted).
uint8_t cp_flags(uint32_t cp);
inline CpClass flags_class(uint8_t flags) {
  return static_cast<CpClass>(flags & kCpClassMask);
}
inline bool flags_whitespace(uint8_t flags) {
  return (flags & kCpWhitespace) != 0;
}
inline CpClass cp_class(uint32_t cp) {
  return flags_class(cp_flags(cp));
}
inline bool cp_is_whitespace(uint32_t cp) {
  return flags_whitespace(cp_flags(cp));
}

// Simple (one code point) lowercase mapping.
uint32_t cp_to_lower(uint32_t cp);
// Appends the canonical decomposition of `cp` with nonspacing marks removed
// (nothing at all when `cp` is itself a nonspacing mark).
void append_accent_stripped(uint32_t cp, std::vector<uint32_t>& out);
// The CJK ideograph blocks BERT isolates as single-character words.
bool cp_is_cjk_ideograph(uint32_t cp);
// The letter class of the deepseek-llm split pattern.
bool cp_in_deepseek_letters(uint32_t cp);

// Text decoded to code points, with the byte offset where each one starts
// (offsets has one more entry: the end). Each invalid byte becomes one
// U+FFFD of length 1, so offsets always cover the original bytes exactly.
struct DecodedText {
  std::vector<uint32_t> cps;
  std::vector<uint8_t> flags;
  std::vector<uint32_t> offsets;
};
void decode_utf8(std::string_view text, DecodedText& out);

// One step of UTF-8 validation at s[0..n), n >= 1.
enum class Utf8Status { kComplete, kIncomplete, kInvalid };
struct Utf8Step {
  Utf8Status status;
  size_t length;  // complete: sequence bytes; incomplete: n; invalid: bytes to replace (>= 1)
  uint32_t cp;    // complete only
};
// Invalid sequences are measured maximal-subpart-wise (Unicode's recommended
// practice for U+FFFD substitution).
Utf8Step utf8_step(const unsigned char* s, size_t n);
void append_utf8(uint32_t cp, std::string& out);
// Replaces every invalid sequence with U+FFFD.
std::string utf8_sanitize(std::string_view text);

}  // namespace hydra::engine
