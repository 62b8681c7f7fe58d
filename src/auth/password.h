#pragma once
// Password hashing with argon2id (libsodium's crypto_pwhash_str). The stored
// string carries its own salt and cost parameters, so costs can be raised
// later without invalidating existing hashes.
#include <string>
#include <string_view>

namespace hydra::auth {

inline constexpr size_t kMinPasswordLength = 8;
inline constexpr size_t kMaxPasswordLength = 1024;

// Throws PARAM_ERROR (param `param`) when the password is too short or long.
void check_password_policy(std::string_view password, const std::string& param = "password");
// Checks the policy, then hashes. Slow on purpose (tens of milliseconds):
// call it before opening a store transaction, never inside one.
std::string hash_password(std::string_view password);
// False for a wrong password or a malformed hash.
bool verify_password(std::string_view hash, std::string_view password);
// A valid hash of a random password, computed once; verifying against it
// costs the same as a real check, so unknown users take as long as known ones.
const std::string& dummy_password_hash();

}  // namespace hydra::auth
