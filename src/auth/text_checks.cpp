#include "auth/text_checks.h"

#include "common/error.h"

namespace hydra::auth {

void check_plain_text(std::string_view text, size_t max_len, const std::string& param) {
  if (text.size() > max_len) {
    throw_param("'" + param + "' must be at most " + std::to_string(max_len) + " bytes", param);
  }
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f)
      throw_param("'" + param + "' must not contain control characters", param);
  }
}

}  // namespace hydra::auth
