#include "common/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdio>
#include <mutex>

namespace hydra {

void log_init(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("hydra");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

void access_log_write(std::string_view json_line) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  fwrite(json_line.data(), 1, json_line.size(), stdout);
  fputc('\n', stdout);
  fflush(stdout);
}

}  // namespace hydra
