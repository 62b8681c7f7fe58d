#pragma once
// Verified API keys, so a request does not query the store to authenticate:
// a hit costs a hash and a lookup on the network thread, with no hand-off
// to the worker pool. An entry holds for the auth epoch it was verified
// under (deleting a key, removing a membership, disabling or deleting a
// user or workspace in this process move it; see auth/auth_epoch.h), never
// past the key's own expiry, and for at most `ttl_ms`, which bounds how late
// such a change made by another process sharing the store is noticed.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/api_keys.h"

namespace hydra::gateway {

class KeyCache {
 public:
  explicit KeyCache(size_t max_entries = 100000, int64_t ttl_ms = 1000)
      : max_entries_(max_entries), ttl_ms_(ttl_ms) {}

  // Shared, not copied: a hit costs no allocation. Null on a miss.
  std::shared_ptr<const auth::VerifiedKey> find(std::string_view plaintext, uint64_t epoch);
  void put(std::string_view plaintext, uint64_t epoch,
           std::shared_ptr<const auth::VerifiedKey> key);

 private:
  struct Entry {
    uint64_t epoch = 0;
    int64_t expires_ms = 0;  // wall clock, like the key's own expires_at
    std::shared_ptr<const auth::VerifiedKey> key;
  };

  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // by the SHA-256 digest of the key
  size_t max_entries_;
  int64_t ttl_ms_;
};

}  // namespace hydra::gateway
