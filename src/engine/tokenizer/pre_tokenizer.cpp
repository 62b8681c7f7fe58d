#include "engine/tokenizer/pre_tokenizer.h"

#include <array>
#include <string>

#include "engine/tokenizer/unicode.h"

namespace hydra::engine {
namespace {

// The text a pass sees: code points with their flags.
struct Text {
  const uint32_t* cp;
  const uint8_t* fl;
  bool ws(size_t i) const { return flags_whitespace(fl[i]); }
  bool letter(size_t i) const { return flags_class(fl[i]) == CpClass::kLetter; }
  bool number(size_t i) const { return flags_class(fl[i]) == CpClass::kNumber; }
  bool punct(size_t i) const { return flags_class(fl[i]) == CpClass::kPunct; }
  // [^\s\p{L}\p{N}]
  bool other(size_t i) const { return !ws(i) && !letter(i) && !number(i); }
  bool newline(size_t i) const { return cp[i] == '\r' || cp[i] == '\n'; }
  // Literal (non-class) ranges in the reference patterns never match
  // non-ASCII whitespace: the reference folds it to \v before matching.
  bool literal_ok(size_t i) const { return cp[i] < 0x80 || !ws(i); }
};

// A pass looks for its pattern at position i of the piece [i, end). It
// returns the match length, or 0 with *skip set to how many positions can be
// skipped because they cannot start a match either.
using Matcher = size_t (*)(const Text& t, size_t i, size_t end, size_t* skip);

size_t run(const Text& t, size_t i, size_t end, bool (Text::*pred)(size_t) const) {
  size_t j = i;
  while (j < end && (t.*pred)(j)) ++j;
  return j - i;
}

uint32_t ascii_lower(uint32_t c) {
  return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

// 's|'t|'re|'ve|'m|'ll|'d, optionally case-insensitive.
size_t contraction(const Text& t, size_t i, size_t end, bool any_case) {
  if (t.cp[i] != '\'' || i + 1 >= end) return 0;
  auto at = [&](size_t k) { return any_case ? ascii_lower(t.cp[k]) : t.cp[k]; };
  uint32_t a = at(i + 1);
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  if (i + 2 >= end) return 0;
  uint32_t b = at(i + 2);
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
  return 0;
}

// \s+(?!\S): a whitespace run, leaving its last character for the next word
// when a non-space follows.
size_t spaces_not_before_word(const Text& t, size_t i, size_t end) {
  size_t n = run(t, i, end, &Text::ws);
  if (n == 0) return 0;
  if (i + n == end) return n;
  return n - 1;
}

// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)
size_t match_gpt2(const Text& t, size_t i, size_t end, size_t*) {
  if (size_t n = contraction(t, i, end, false)) return n;
  size_t j = i + (t.cp[i] == ' ' && i + 1 < end ? 1 : 0);
  if (t.letter(j)) return j - i + run(t, j, end, &Text::letter);
  if (t.number(j)) return j - i + run(t, j, end, &Text::number);
  if (t.other(j)) return j - i + run(t, j, end, &Text::other);
  return spaces_not_before_word(t, i, end);
}

// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,max_digits}
// | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
template <size_t kMaxDigits>
size_t match_llama3(const Text& t, size_t i, size_t end, size_t*) {
  if (size_t n = contraction(t, i, end, true)) return n;
  if (t.letter(i)) return run(t, i, end, &Text::letter);
  if (!t.newline(i) && !t.number(i) && i + 1 < end && t.letter(i + 1)) {
    return 1 + run(t, i + 1, end, &Text::letter);
  }
  if (t.number(i)) {
    size_t n = run(t, i, end, &Text::number);
    return n < kMaxDigits ? n : kMaxDigits;
  }
  size_t j = i + (t.cp[i] == ' ' && i + 1 < end ? 1 : 0);
  if (t.other(j)) {
    size_t k = j + run(t, j, end, &Text::other);
    return k - i + run(t, k, end, &Text::newline);
  }
  size_t n = run(t, i, end, &Text::ws);
  if (n == 0) return 0;
  for (size_t k = i + n; k > i; --k) {
    if (t.newline(k - 1)) return k - i;  // \s*[\r\n]+ up to the last line break
  }
  size_t m = spaces_not_before_word(t, i, end);
  return m > 0 ? m : n;
}

// [\r\n]
size_t match_newline(const Text& t, size_t i, size_t, size_t*) {
  return t.newline(i) ? 1 : 0;
}

// \s?X+ for a class X.
template <bool (*kIn)(const Text&, size_t)>
size_t match_opt_space_then_run(const Text& t, size_t i, size_t end, size_t*) {
  size_t j = i;
  if (t.ws(i) && i + 1 < end && kIn(t, i + 1)) j = i + 1;
  size_t k = j;
  while (k < end && kIn(t, k)) ++k;
  return k > j ? k - i : 0;
}

template <size_t kMax, bool (*kIn)(const Text&, size_t)>
size_t match_class_run(const Text& t, size_t i, size_t end, size_t*) {
  size_t k = i;
  while (k < end && k - i < kMax && kIn(t, k)) ++k;
  return k - i;
}

bool is_letter(const Text& t, size_t i) {
  return t.letter(i);
}
bool is_punct(const Text& t, size_t i) {
  return t.punct(i);
}
bool is_number(const Text& t, size_t i) {
  return t.number(i);
}
bool is_ascii_digit(const Text& t, size_t i) {
  return t.cp[i] >= '0' && t.cp[i] <= '9';
}

// [\p{P}\$\+<=>\^~\|`] (falcon), and the same without the backtick (default).
bool is_punct_or_ascii_symbol(const Text& t, size_t i) {
  uint32_t c = t.cp[i];
  return t.punct(i) || c == '$' || c == '+' || c == '<' || c == '=' || c == '>' || c == '^' ||
         c == '~' || c == '|' || c == '`';
}
bool is_punct_or_ascii_symbol_no_tick(const Text& t, size_t i) {
  return t.cp[i] != '`' && is_punct_or_ascii_symbol(t, i);
}

// [一-龥ࠀ-一가-퟿]: U+0800..U+9FA5 and U+AC00..U+D7FF.
bool is_deepseek_cjk(const Text& t, size_t i) {
  uint32_t c = t.cp[i];
  return t.literal_ok(i) && ((c >= 0x800 && c <= 0x9FA5) || (c >= 0xAC00 && c <= 0xD7FF));
}

bool is_deepseek_letter(const Text& t, size_t i) {
  return t.literal_ok(i) && cp_in_deepseek_letters(t.cp[i]);
}

// [!-/:-~！-／：-～‘-‟　-。]
bool is_deepseek_punct(const Text& t, size_t i) {
  uint32_t c = t.cp[i];
  if (!t.literal_ok(i)) return false;
  return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x7E) || (c >= 0xFF01 && c <= 0xFF0F) ||
         (c >= 0xFF1A && c <= 0xFF5E) || (c >= 0x2018 && c <= 0x201F) ||
         (c >= 0x3000 && c <= 0x3002);
}

// \s+$
size_t match_trailing_spaces(const Text& t, size_t i, size_t end, size_t* skip) {
  size_t n = run(t, i, end, &Text::ws);
  if (n > 0 && i + n == end) return n;
  *skip = n > 0 ? n : 1;
  return 0;
}

struct Family {
  std::array<Matcher, 6> passes;
  size_t count;
};

const Family& family(PreTokenizer pre) {
  static const Family kGpt2{{match_gpt2}, 1};
  static const Family kLlama3{{match_llama3<3>}, 1};
  static const Family kQwen2{{match_llama3<1>}, 1};
  static const Family kDeepseekLlm{
      {match_newline, match_opt_space_then_run<is_deepseek_letter>,
       match_opt_space_then_run<is_deepseek_punct>, match_trailing_spaces,
       match_class_run<SIZE_MAX, is_deepseek_cjk>, match_class_run<SIZE_MAX, is_number>},
      6};
  static const Family kDeepseekCoder{
      {match_newline, match_opt_space_then_run<is_letter>, match_opt_space_then_run<is_punct>,
       match_class_run<SIZE_MAX, is_deepseek_cjk>, match_class_run<1, is_number>},
      5};
  static const Family kFalcon{{match_class_run<SIZE_MAX, is_punct_or_ascii_symbol>, match_gpt2,
                               [](const Text& t, size_t i, size_t end, size_t* s) {
                                 size_t n = match_class_run<3, is_ascii_digit>(t, i, end, s);
                                 return n == 3 ? n : 0;
                               }},
                              3};
  static const Family kStarcoder{{match_class_run<1, is_number>, match_gpt2}, 2};
  static const Family kDefault{{match_class_run<SIZE_MAX, is_punct_or_ascii_symbol_no_tick>,
                                match_gpt2, match_class_run<SIZE_MAX, is_number>,
                                [](const Text& t, size_t i, size_t end, size_t* s) {
                                  size_t n = match_class_run<3, is_ascii_digit>(t, i, end, s);
                                  return n == 3 ? n : 0;
                                }},
                               4};
  switch (pre) {
    case PreTokenizer::kGpt2:
      return kGpt2;
    case PreTokenizer::kLlama3:
      return kLlama3;
    case PreTokenizer::kQwen2:
      return kQwen2;
    case PreTokenizer::kDeepseekLlm:
      return kDeepseekLlm;
    case PreTokenizer::kDeepseekCoder:
      return kDeepseekCoder;
    case PreTokenizer::kFalcon:
      return kFalcon;
    case PreTokenizer::kStarcoder:
      return kStarcoder;
    case PreTokenizer::kDefault:
      break;
  }
  return kDefault;
}

// Runs one pass over every piece: matches and the gaps between them both
// become pieces.
void apply_pass(Matcher match, const Text& t, const std::vector<uint32_t>& in,
                std::vector<uint32_t>& out) {
  out.clear();
  size_t start = 0;
  for (uint32_t end : in) {
    size_t gap = start, i = start;
    while (i < end) {
      size_t skip = 1;
      size_t len = match(t, i, end, &skip);
      if (len == 0) {
        i += skip;
        continue;
      }
      if (i > gap) out.push_back(static_cast<uint32_t>(i));
      i += len;
      out.push_back(static_cast<uint32_t>(i));
      gap = i;
    }
    if (gap < end) out.push_back(end);
    start = end;
  }
}

struct Alias {
  const char* name;
  PreTokenizer pre;
};

constexpr Alias kAliases[] = {
    {"default", PreTokenizer::kDefault},
    {"gpt-2", PreTokenizer::kGpt2},
    {"gpt2", PreTokenizer::kGpt2},
    {"phi-2", PreTokenizer::kGpt2},
    {"mpt", PreTokenizer::kGpt2},
    {"olmo", PreTokenizer::kGpt2},
    {"jais", PreTokenizer::kGpt2},
    {"jina-es", PreTokenizer::kGpt2},
    {"jina-de", PreTokenizer::kGpt2},
    {"jina-v2-es", PreTokenizer::kGpt2},
    {"jina-v2-de", PreTokenizer::kGpt2},
    {"llama-bpe", PreTokenizer::kLlama3},
    {"llama3", PreTokenizer::kLlama3},
    {"llama-v3", PreTokenizer::kLlama3},
    {"falcon3", PreTokenizer::kLlama3},
    {"pixtral", PreTokenizer::kLlama3},
    {"dbrx", PreTokenizer::kLlama3},
    {"smaug-bpe", PreTokenizer::kLlama3},
    {"qwen2", PreTokenizer::kQwen2},
    {"stablelm2", PreTokenizer::kQwen2},
    {"deepseek-r1-qwen", PreTokenizer::kQwen2},
    {"deepseek-llm", PreTokenizer::kDeepseekLlm},
    {"deepseek-coder", PreTokenizer::kDeepseekCoder},
    {"falcon", PreTokenizer::kFalcon},
    {"starcoder", PreTokenizer::kStarcoder},
    {"refact", PreTokenizer::kStarcoder},
    {"command-r", PreTokenizer::kStarcoder},
    {"smollm", PreTokenizer::kStarcoder},
    {"codeshell", PreTokenizer::kStarcoder},
};

}  // namespace

bool pre_tokenizer_from_name(std::string_view name, PreTokenizer& out) {
  for (const Alias& a : kAliases) {
    if (name == a.name) {
      out = a.pre;
      return true;
    }
  }
  return false;
}

const char* pre_tokenizer_name(PreTokenizer pre) {
  switch (pre) {
    case PreTokenizer::kDefault:
      return "default";
    case PreTokenizer::kGpt2:
      return "gpt-2";
    case PreTokenizer::kLlama3:
      return "llama-bpe";
    case PreTokenizer::kQwen2:
      return "qwen2";
    case PreTokenizer::kDeepseekLlm:
      return "deepseek-llm";
    case PreTokenizer::kDeepseekCoder:
      return "deepseek-coder";
    case PreTokenizer::kFalcon:
      return "falcon";
    case PreTokenizer::kStarcoder:
      return "starcoder";
  }
  return "default";
}

void pre_tokenize(PreTokenizer pre, const uint32_t* cps, const uint8_t* flags, size_t n,
                  std::vector<uint32_t>& ends, std::vector<uint32_t>& scratch) {
  const Family& f = family(pre);
  Text t{cps, flags};
  std::vector<uint32_t> pieces{static_cast<uint32_t>(n)};
  if (n == 0) return;
  for (size_t p = 0; p < f.count; ++p) {
    apply_pass(f.passes[p], t, pieces, scratch);
    pieces.swap(scratch);
  }
  ends.insert(ends.end(), pieces.begin(), pieces.end());
}

}  // namespace hydra::engine
