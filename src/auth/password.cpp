#include "auth/password.h"

#include <sodium.h>

#include <stdexcept>

#include "common/error.h"
#include "common/random.h"

namespace hydra::auth {

void check_password_policy(std::string_view password, const std::string& param) {
  if (password.size() < kMinPasswordLength) {
    throw_param("password must be at least " + std::to_string(kMinPasswordLength) + " characters",
                param);
  }
  if (password.size() > kMaxPasswordLength) {
    throw_param("password must be at most " + std::to_string(kMaxPasswordLength) + " characters",
                param);
  }
}

std::string hash_password(std::string_view password) {
  check_password_policy(password);
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    throw std::runtime_error("password hashing ran out of memory");
  }
  return std::string(out);
}

bool verify_password(std::string_view hash, std::string_view password) {
  // crypto_pwhash_str_verify needs a NUL-terminated string of bounded length.
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  if (password.size() > kMaxPasswordLength) return false;
  if (sodium_init() < 0) return false;
  std::string h(hash);
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

const std::string& dummy_password_hash() {
  static const std::string hash = hash_password(random_token(24));
  return hash;
}

}  // namespace hydra::auth
