#include "common/secret_box.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "common/random.h"
#include "common/strings.h"

namespace hydra {
namespace {

constexpr std::string_view kPrefix = "enc:v1:";
// Domain separation: this key is only ever used for stored secrets. The name
// predates file-set secrets; changing it would make every sealed value unreadable.
constexpr std::string_view kContext = "hydra.upstream-secrets.v1";

void init_sodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::string derive(std::string_view material) {
  init_sodium();
  std::string key(crypto_secretbox_KEYBYTES, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(key.data()), key.size(),
                     reinterpret_cast<const unsigned char*>(material.data()), material.size(),
                     reinterpret_cast<const unsigned char*>(kContext.data()), kContext.size());
  return key;
}

std::string to_base64(std::string_view bin) {
  std::string out(sodium_base64_ENCODED_LEN(bin.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bin.data()),
                    bin.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::optional<std::string> from_base64(std::string_view text) {
  std::string out(text.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Creates the key file exclusively so that two processes starting at once
// agree on one key: the loser of the race reads the winner's file.
bool create_key_file(const std::filesystem::path& path, const std::string& hex) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return false;
    throw std::runtime_error("cannot create " + path.string() + ": " + std::strerror(errno));
  }
  std::string line = hex + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot write " + path.string());
  return true;
}

}  // namespace

SecretBox::SecretBox(std::string key) : key_(std::move(key)) {
  init_sodium();
  if (key_.size() != crypto_secretbox_KEYBYTES)
    throw std::invalid_argument("secret box key must be 32 bytes");
}

SecretBox SecretBox::from_passphrase(std::string_view passphrase) {
  return SecretBox(derive(passphrase));
}

SecretBox SecretBox::from_key_file(const std::string& dir) {
  std::filesystem::create_directories(dir);
  auto path = std::filesystem::path(dir) / "secret.key";
  if (!std::filesystem::exists(path)) create_key_file(path, random_hex(32));
  std::string text = trim(read_file(path));
  if (text.size() < 32) throw std::runtime_error(path.string() + " holds no usable key");
  return SecretBox(derive(text));
}

SecretBox SecretBox::from_config(const Config& cfg) {
  if (!cfg.secret_key.empty()) return from_passphrase(cfg.secret_key);
  return from_key_file(cfg.data_dir);
}

std::string SecretBox::seal(std::string_view plaintext) const {
  std::string nonce = random_bytes(crypto_secretbox_NONCEBYTES);
  std::string box(crypto_secretbox_MACBYTES + plaintext.size(), '\0');
  crypto_secretbox_easy(reinterpret_cast<unsigned char*>(box.data()),
                        reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
                        reinterpret_cast<const unsigned char*>(nonce.data()),
                        reinterpret_cast<const unsigned char*>(key_.data()));
  return std::string(kPrefix) + to_base64(nonce + box);
}

std::string SecretBox::open(std::string_view sealed) const {
  if (!is_sealed(sealed)) throw std::runtime_error("value is not an encrypted secret");
  auto bin = from_base64(sealed.substr(kPrefix.size()));
  if (!bin || bin->size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    throw std::runtime_error("encrypted secret is damaged");
  }
  const auto* nonce = reinterpret_cast<const unsigned char*>(bin->data());
  const auto* box = nonce + crypto_secretbox_NONCEBYTES;
  size_t box_len = bin->size() - crypto_secretbox_NONCEBYTES;
  std::string plain(box_len - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()), box, box_len,
                                 nonce, reinterpret_cast<const unsigned char*>(key_.data())) != 0) {
    throw std::runtime_error("encrypted secret does not decrypt with this server's key");
  }
  return plain;
}

bool SecretBox::is_sealed(std::string_view value) {
  return starts_with(value, kPrefix);
}

const SecretBox& LazySecretBox::get() {
  std::lock_guard lock(mu_);
  if (!box_) box_.emplace(SecretBox::from_config(cfg_));
  return *box_;
}

std::string mask_secret(std::string_view plaintext) {
  if (plaintext.size() < 12) return "****";
  return std::string(plaintext.substr(0, 3)) + "..." +
         std::string(plaintext.substr(plaintext.size() - 4));
}

}  // namespace hydra
