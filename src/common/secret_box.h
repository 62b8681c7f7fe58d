#pragma once
// Encryption at rest for stored secrets (MaaS endpoint API keys, file-set
// tokens and S3 credentials), with libsodium's secretbox (XSalsa20-Poly1305). The key is derived
// from Config::secret_key (HYDRA_SECRET_KEY) or, when that is empty, from a random key file
// `secret.key` (mode 0600) in the data directory, created on first use. Sealed values read
// "enc:v1:<base64(nonce || ciphertext)>".
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/config.h"

namespace hydra {

class SecretBox {
 public:
  // `key` must be exactly 32 bytes.
  explicit SecretBox(std::string key);
  // Derives the key from a passphrase.
  static SecretBox from_passphrase(std::string_view passphrase);
  // Loads <dir>/secret.key, creating it (0600) when missing.
  static SecretBox from_key_file(const std::string& dir);
  static SecretBox from_config(const Config& cfg);

  std::string seal(std::string_view plaintext) const;
  // Throws std::runtime_error when the value is not ours or was tampered with.
  std::string open(std::string_view sealed) const;
  static bool is_sealed(std::string_view value);

 private:
  std::string key_;
};

// Builds the SecretBox on first use, so that a server that never stores a
// secret never creates a key file.
class LazySecretBox {
 public:
  explicit LazySecretBox(const Config& cfg) : cfg_(cfg) {}
  const SecretBox& get();

 private:
  const Config& cfg_;
  std::mutex mu_;
  std::optional<SecretBox> box_;
};

// "sk-...abcd": enough to recognise a key, never enough to use it.
std::string mask_secret(std::string_view plaintext);

}  // namespace hydra
