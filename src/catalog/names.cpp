#include "catalog/names.h"

#include <cctype>

#include "common/error.h"
#include "common/strings.h"

namespace hydra::catalog {
namespace {

bool lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool valid_dotted(std::string_view s, size_t max_len) {
  if (s.empty() || s.size() > max_len) return false;
  for (char c : s) {
    if (!lower_alnum(c) && c != '-' && c != '.' && c != '_') return false;
  }
  return lower_alnum(s.front()) && lower_alnum(s.back());
}

}  // namespace

bool valid_provider_id(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!lower_alnum(c) && c != '-') return false;
  }
  return lower_alnum(s.front()) && lower_alnum(s.back());
}

bool valid_model_id(std::string_view s) {
  return valid_dotted(s, 128);
}

bool valid_runtime_name(std::string_view s) {
  return valid_dotted(s, 64);
}

bool valid_env_name(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  if (std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

bool valid_tag(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') && c != '_') return false;
  }
  return true;
}

std::string normalize_tag(std::string_view s) {
  std::string out;
  for (char c : trim(s)) {
    if (c == '-' || c == ' ') c = '_';
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  // Short spellings seen in hand-written files.
  if (out == "RERANK" || out == "RERANKER") return "RERANK_MODEL";
  if (out == "EMBEDDINGS") return "EMBEDDING";
  return out;
}

std::string normalize_provider_id(std::string_view s) {
  std::string out;
  for (char c : trim(s)) {
    if (c == ' ' || c == '_') c = '-';
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

void check_provider_id(std::string_view s, const char* param) {
  if (!valid_provider_id(s)) {
    throw_param("provider id '" + std::string(s) +
                    "' is invalid: use 1-64 characters of a-z, 0-9 and '-', starting and ending "
                    "with a letter or digit",
                param);
  }
}

void check_model_id(std::string_view s, const char* param) {
  if (!valid_model_id(s)) {
    throw_param("id '" + std::string(s) +
                    "' is invalid: use 1-128 characters of a-z, 0-9, '.', '_' and '-', starting "
                    "and ending with a letter or digit",
                param);
  }
}

}  // namespace hydra::catalog
