#pragma once
// Small validation helpers shared by the auth files.
#include <string>
#include <string_view>

namespace hydra::auth {

// Throws PARAM_ERROR naming `param` when `text` is longer than `max_len`
// bytes or holds control characters (they corrupt logs and tables).
void check_plain_text(std::string_view text, size_t max_len, const std::string& param);

}  // namespace hydra::auth
