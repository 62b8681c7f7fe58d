#include "catalog/go_template_check.h"

#include <algorithm>
#include <cctype>

namespace hydra::catalog {
namespace {

bool ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

bool known_variable(std::string_view name) {
  const auto& vars = template_variables();
  return std::find(vars.begin(), vars.end(), name) != vars.end();
}

// Checks the inside of one {{ ... }} action: every `.NAME` field reference
// (outside string literals and comments) must be a known variable.
std::string action_problem(std::string_view action) {
  std::string_view a = action;
  if (!a.empty() && a.front() == '-') a.remove_prefix(1);
  if (!a.empty() && a.back() == '-') a.remove_suffix(1);
  size_t first = a.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && a.substr(first).starts_with("/*")) {
    return a.find("*/") == std::string_view::npos ? "unterminated comment in {{ }}" : "";
  }
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c == '"' || c == '`' || c == '\'') {
      size_t end = i + 1;
      while (end < a.size() && a[end] != c) end += (c == '"' && a[end] == '\\') ? 2 : 1;
      if (end >= a.size()) return "unterminated string in {{ }}";
      i = end;
      continue;
    }
    bool field_start = c == '.' && (i == 0 || !ident_char(a[i - 1]) || a[i - 1] == '$');
    if (!field_start) continue;
    size_t end = i + 1;
    while (end < a.size() && ident_char(a[end])) ++end;
    std::string_view name = a.substr(i + 1, end - i - 1);
    if (!name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
        !known_variable(name)) {
      return "unknown variable '." + std::string(name) + "'";
    }
    i = end - 1;
  }
  return {};
}

}  // namespace

const std::vector<std::string>& template_variables() {
  static const std::vector<std::string> vars = {
      "RUN_TIME",   "MODEL_NAME", "IS_DISTRIBUTED", "MODEL_PATH", "IS_LEADER",
      "TP_SIZE",    "PP_SIZE",    "MODEL_ID",       "CLUSTER",    "NAMESPACE",
      "MODEL_HOST", "MODEL_PORT", "CUSTOM_ARGS"};
  return vars;
}

std::string go_template_problem(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find("{{", pos);
    size_t stray = text.find("}}", pos);
    if (stray != std::string_view::npos && (open == std::string_view::npos || stray < open)) {
      return "'}}' without a matching '{{' at offset " + std::to_string(stray);
    }
    if (open == std::string_view::npos) return {};
    size_t close = text.find("}}", open + 2);
    size_t next_open = text.find("{{", open + 2);
    if (close == std::string_view::npos ||
        (next_open != std::string_view::npos && next_open < close)) {
      return "'{{' at offset " + std::to_string(open) + " is not closed by '}}'";
    }
    std::string problem = action_problem(text.substr(open + 2, close - open - 2));
    if (!problem.empty()) return problem + " at offset " + std::to_string(open);
    pos = close + 2;
  }
  return {};
}

}  // namespace hydra::catalog
