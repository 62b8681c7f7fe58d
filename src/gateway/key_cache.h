#pragma once
// Verified API keys, so a request does not query the store to authenticate:
// a hit costs a hash and a lookup on the network thread, with no hand-off
// to the worker pool. An entry holds for the auth epoch it was verified
// under (deleting a key, removing a membership, disabling or deleting a
// user or workspace in this process move it; see auth/auth_epoch.h), never
// past the key's own expiry, and for at most `ttl_ms`, which bounds how late
// such a change made by another process sharing the store is noticed.
#include <array>
#include <cstdint>
#include <cstring>
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

  // A key's SHA-256 digest, held inline (a string of it was an allocation per request).
  using Digest = std::array<unsigned char, 32>;
  struct DigestHash {
    // The digest is uniform already: any eight of its bytes make a hash.
    size_t operator()(const Digest& d) const {
      size_t h;
      std::memcpy(&h, d.data(), sizeof h);
      return h;
    }
  };
  static Digest digest_of(std::string_view plaintext);

  std::mutex mu_;
  std::unordered_map<Digest, Entry, DigestHash> entries_;  // by the digest of the key
  size_t max_entries_;
  int64_t ttl_ms_;
};

}  // namespace hydra::gateway
