#include "gateway/key_cache.h"

#include <openssl/evp.h>

#include <algorithm>
#include <stdexcept>

#include "common/clock.h"

namespace hydra::gateway {
// The SHA-256 digest of a key, raw: the map's key, so the plaintext is not
// kept in memory. OpenSSL's digest uses the CPU's SHA instructions where
// there are any (libsodium's is portable code); this runs on every request.
KeyCache::Digest KeyCache::digest_of(std::string_view plaintext) {
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  struct Context {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Context() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Context context;
  Digest out;
  unsigned int n = 0;
  if (!kSha256 || !context.ctx || !EVP_DigestInit_ex2(context.ctx, kSha256, nullptr) ||
      !EVP_DigestUpdate(context.ctx, plaintext.data(), plaintext.size()) ||
      !EVP_DigestFinal_ex(context.ctx, out.data(), &n) || n != out.size()) {
    throw std::runtime_error("SHA-256 is not available");
  }
  return out;
}

std::shared_ptr<const auth::VerifiedKey> KeyCache::find(std::string_view plaintext,
                                                        uint64_t epoch) {
  Digest hash = digest_of(plaintext);
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
  Digest hash = digest_of(plaintext);
  int64_t expires = now_ms() + ttl_ms_;
  if (key->key.expires_at > 0) expires = std::min(expires, key->key.expires_at);
  std::lock_guard<std::mutex> lock(mu_);
  // A flood of distinct keys starts the cache over instead of growing it.
  if (entries_.size() >= max_entries_ && !entries_.count(hash)) entries_.clear();
  entries_[hash] = Entry{epoch, expires, std::move(key)};
}

}  // namespace hydra::gateway
