#pragma once
// Serialized answers of read-heavy listings (the model square is the
// busiest page of the console), so a repeated request costs a lookup
// instead of several queries and a JSON rendering. An entry is valid for
// the data version it was rendered from and for at most `ttl_ms`: the
// version covers changes made by this process at once, the time limit
// bounds how long changes made by another process sharing the store stay
// unseen.
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace hydra::api {

class AnswerCache {
 public:
  explicit AnswerCache(size_t max_entries = 512, int64_t ttl_ms = 1000)
      : max_entries_(max_entries), ttl_ms_(ttl_ms) {}

  // The body stored under `key` for `version`, unless it expired.
  std::optional<std::string> find(const std::string& key, uint64_t version);
  // Stores a body rendered from the data at `version`, read before the
  // queries that produced it.
  void put(const std::string& key, uint64_t version, std::string body);

 private:
  struct Entry {
    uint64_t version = 0;
    int64_t expires_ms = 0;
    std::string body;
  };

  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  size_t max_entries_;
  int64_t ttl_ms_;
};

}  // namespace hydra::api
