#pragma once
// Generated Unicode tables (see unicode_data.cpp and scripts/gen_unicode_tables.py).
// Use the functions in unicode.h rather than these arrays directly.
#include <cstddef>
#include <cstdint>

namespace hydra::engine::unicode_data {

struct CodepointPair {
  uint32_t first;
  uint32_t second;
};

struct StrippedDecomposition {
  uint32_t cp;
  uint32_t kept[3];  // canonical decomposition without nonspacing marks; 0 = unused
};

// Each entry is (first code point << 4) | flags; a run lasts until the next entry.
extern const uint32_t kClassRanges[];
extern const size_t kClassRangeCount;
// (code point, simple lowercase), sorted by code point.
extern const CodepointPair kLowercase[];
extern const size_t kLowercaseCount;
// Characters whose accent-stripped decomposition differs from themselves.
extern const StrippedDecomposition kStripped[];
extern const size_t kStrippedCount;
// Inclusive ranges of the deepseek-llm letter class.
extern const CodepointPair kDeepseekLetters[];
extern const size_t kDeepseekLetterCount;

}  // namespace hydra::engine::unicode_data
