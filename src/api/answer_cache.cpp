#include "api/answer_cache.h"

#include "common/clock.h"

namespace hydra::api {

std::optional<std::string> AnswerCache::find(const std::string& key, uint64_t version) {
  int64_t now = mono_ns() / 1000000;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.version != version || it->second.expires_ms <= now) {
    return std::nullopt;
  }
  return it->second.body;
}

void AnswerCache::put(const std::string& key, uint64_t version, std::string body) {
  int64_t expires = mono_ns() / 1000000 + ttl_ms_;
  std::lock_guard<std::mutex> lock(mu_);
  // Distinct queries are few in practice; a flood of distinct ones (every
  // keyword typed) just starts the cache over instead of growing it.
  if (entries_.size() >= max_entries_ && !entries_.count(key)) entries_.clear();
  entries_[key] = Entry{version, expires, std::move(body)};
}

}  // namespace hydra::api
