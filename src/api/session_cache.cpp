#include "api/session_cache.h"

#include "common/clock.h"

namespace hydra::api {
namespace {

int64_t mono_ms() {
  return mono_ns() / 1000000;
}

}  // namespace

std::optional<auth::Caller> SessionCache::find(const std::string& token, uint64_t epoch) {
  int64_t now = mono_ms();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(token);
  if (it == entries_.end() || it->second.epoch != epoch || it->second.expires_ms <= now) {
    return std::nullopt;
  }
  return it->second.caller;
}

void SessionCache::put(const std::string& token, uint64_t epoch, const auth::Caller& c) {
  int64_t expires = mono_ms() + ttl_ms_;
  std::lock_guard<std::mutex> lock(mu_);
  if (entries_.size() >= max_entries_ && !entries_.count(token)) entries_.clear();
  entries_[token] = Entry{epoch, expires, c};
}

}  // namespace hydra::api
