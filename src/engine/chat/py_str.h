#pragma once
// Python str methods over UTF-8 text, with Python's definitions of
// whitespace and line breaks. Case mapping covers ASCII, Latin-1, Greek and
// Cyrillic; other scripts pass through unchanged.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hydra::engine::jinja {

enum class StripSide { kBoth, kLeft, kRight };
// chars == nullopt strips whitespace, like str.strip().
std::string py_strip(std::string_view s, const std::optional<std::string>& chars, StripSide side);
// sep == nullopt splits on whitespace runs; maxsplit < 0 means no limit.
std::vector<std::string> py_split(std::string_view s, const std::optional<std::string>& sep,
                                  int64_t maxsplit);
std::vector<std::string> py_rsplit(std::string_view s, const std::optional<std::string>& sep,
                                   int64_t maxsplit);
std::vector<std::string> py_splitlines(std::string_view s, bool keepends = false);
std::string py_replace(std::string_view s, std::string_view old, std::string_view repl,
                       int64_t count, size_t max_size);
std::string py_upper(std::string_view s);
std::string py_lower(std::string_view s);
std::string py_title(std::string_view s);       // str.title()
std::string py_capitalize(std::string_view s);  // str.capitalize()
std::string jinja_title(std::string_view s);    // jinja2's title filter
bool py_is_space(char32_t cp);
bool py_is_word(char32_t cp);  // regex \w
int64_t py_count(std::string_view s, std::string_view sub);
// Code-point index of the first/last occurrence, or -1.
int64_t py_find(std::string_view s, std::string_view sub, bool last);

}  // namespace hydra::engine::jinja
