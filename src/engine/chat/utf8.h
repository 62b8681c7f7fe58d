#pragma once
// UTF-8 <-> code points. Python strings index and measure by code point, so
// len(), slicing and reversing of template strings go through these.
#include <string>
#include <string_view>
#include <vector>

namespace hydra::engine::jinja {

// Invalid bytes decode as U+FFFD, one per byte, so hostile input never throws.
std::u32string utf8_decode(std::string_view s);
void utf8_append(std::string& out, char32_t cp);
std::string utf8_encode(std::u32string_view s);
size_t utf8_length(std::string_view s);
bool is_ascii(std::string_view s);

}  // namespace hydra::engine::jinja
