#include "common/random.h"

#include <sodium.h>

#include <cstring>
#include <stdexcept>

#include "common/clock.h"

namespace hydra {
namespace {
void ensure_sodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium failed to initialise");
}
}  // namespace

std::string random_bytes(size_t n) {
  ensure_sodium();
  std::string out(n, '\0');
  randombytes_buf(out.data(), n);
  return out;
}

std::string hex_encode(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::string random_hex(size_t bytes) {
  return hex_encode(random_bytes(bytes));
}

std::string random_token(size_t bytes) {
  ensure_sodium();
  std::string raw = random_bytes(bytes);
  std::string out(sodium_base64_ENCODED_LEN(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                    raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.find('\0'));
  return out;
}

namespace {
// Ids need to be unique, not secret: a per-thread generator seeded once from
// the system's randomness, instead of a system call for every id (the
// gateway makes two ids per request).
uint64_t id_random() {
  thread_local uint64_t state = [] {
    uint64_t seed = 0;
    std::string raw = random_bytes(sizeof seed);
    memcpy(&seed, raw.data(), sizeof seed);
    return seed;
  }();
  // splitmix64
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Writes the low `digits` hex digits of v, most significant first.
void put_hex(char* out, uint64_t v, int digits) {
  static const char* hex = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i, v >>= 4) out[i] = hex[v & 15];
}
}  // namespace

std::string new_id() {
  return new_id(now_ms());
}

std::string new_id(int64_t time_ms) {
  // Formatted by hand: ids are made on every request, and printf's format
  // parsing cost more than the rest of the id.
  std::string id(22, '0');
  put_hex(id.data(), static_cast<uint64_t>(time_ms), 12);
  put_hex(id.data() + 12, id_random(), 10);
  return id;
}

std::string sha256_hex(std::string_view data) {
  ensure_sodium();
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(out, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return hex_encode(std::string_view(reinterpret_cast<const char*>(out), sizeof out));
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace hydra
