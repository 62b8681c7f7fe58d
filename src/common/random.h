#pragma once
// Cryptographically secure randomness (libsodium) for ids, keys and tokens.
#include <cstddef>
#include <cstdint>
#include <string>

namespace hydra {

std::string random_bytes(size_t n);
std::string random_hex(size_t bytes);
// URL-safe base64 without padding: short and safe in headers and paths.
std::string random_token(size_t bytes);
// Time-ordered id: 12 hex digits of milliseconds then 10 random hex digits.
std::string new_id();
// The same for a time the caller has already read (ms since the epoch).
std::string new_id(int64_t time_ms);
std::string hex_encode(std::string_view bytes);
std::string sha256_hex(std::string_view data);
// Compares in time that depends only on the length.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace hydra
