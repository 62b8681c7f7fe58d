#pragma once
// Logging through spdlog. Human lines go to stderr; the access log is one
// JSON object per line so that it can be shipped and queried as is.
#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

namespace hydra {

void log_init(const std::string& level);
// Writes one access-log line (already JSON) to stdout.
void access_log_write(std::string_view json_line);

}  // namespace hydra
