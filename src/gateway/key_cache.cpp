#include "gateway/key_cache.h"

#include <algorithm>

#include "common/clock.h"
#include "common/random.h"

namespace hydra::gateway {

std::shared_ptr<const auth::VerifiedKey> KeyCache::find(std::string_view plaintext,
                                                        uint64_t epoch) {
  std::string hash = sha256_hex(plaintext);
  int64_t now = now_ms();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(hash);
  if (it == entries_.end() || it->second.epoch != epoch || it->second.expires_ms <= now) {
    return nullptr;
  }
  return it->second.key;
}

void KeyCache::put(std::string_view plaintext, uint64_t epoch,
                   std::shared_ptr<const auth::VerifiedKey> key) {
  std::string hash = sha256_hex(plaintext);
  int64_t expires = now_ms() + ttl_ms_;
  if (key->key.expires_at > 0) expires = std::min(expires, key->key.expires_at);
  std::lock_guard<std::mutex> lock(mu_);
  // A flood of distinct keys starts the cache over instead of growing it.
  if (entries_.size() >= max_entries_ && !entries_.count(hash)) entries_.clear();
  entries_[hash] = Entry{epoch, expires, std::move(key)};
}

}  // namespace hydra::gateway
