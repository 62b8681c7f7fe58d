#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace hydra {

inline char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
}
std::string to_lower(std::string_view s);              // ASCII letters only
bool iequals(std::string_view a, std::string_view b);  // ASCII, case-insensitive
std::vector<std::string> split(std::string_view s, char sep);
std::string trim(std::string_view s);
bool starts_with(std::string_view s, std::string_view prefix);
// Resource names: 2-64 chars of [a-z0-9-], starting and ending alphanumeric.
bool valid_resource_name(std::string_view s);
// Replaces invalid UTF-8 sequences with U+FFFD, so text taken from a request
// can be put into a JSON answer.
std::string utf8_sanitize(std::string_view s);
// Quotes a field for CSV (RFC 4180) when it needs it.
std::string csv_field(std::string_view s);

}  // namespace hydra
