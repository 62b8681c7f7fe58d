#pragma once
// Resolved sessions, so a console request does not query the sessions and
// users tables every time. An entry holds for the auth epoch it was
// resolved under (logout, revocation and user changes in this process move
// it, see auth/auth_epoch.h) and for at most `ttl_ms`, which bounds how late
// such a change made by another process sharing the store is noticed.
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "auth/caller.h"

namespace hydra::api {

class SessionCache {
 public:
  explicit SessionCache(size_t max_entries = 4096, int64_t ttl_ms = 2000)
      : max_entries_(max_entries), ttl_ms_(ttl_ms) {}

  std::optional<auth::Caller> find(const std::string& token, uint64_t epoch);
  void put(const std::string& token, uint64_t epoch, const auth::Caller& c);

 private:
  struct Entry {
    uint64_t epoch = 0;
    int64_t expires_ms = 0;
    auth::Caller caller;
  };

  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  size_t max_entries_;
  int64_t ttl_ms_;
};

}  // namespace hydra::api
