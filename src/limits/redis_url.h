#pragma once
// redis://[[user]:password@]host[:port][/db], the form redis-cli accepts.
#include <cstdint>
#include <string>

namespace hydra::limits {

struct RedisUrl {
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  std::string user;
  std::string password;
  int db = 0;
};

// Throws std::invalid_argument naming what is wrong.
RedisUrl parse_redis_url(const std::string& url);

}  // namespace hydra::limits
