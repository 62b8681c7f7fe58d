#pragma once
// API keys for the OpenAI-compatible gateway (DESIGN.md §3). A key is
// "sk-" + random_token(32) (32 random bytes); the store keeps only its
// SHA-256, the plaintext leaves this module once, from create_api_key.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/caller.h"
#include "store/store.h"

namespace hydra::auth {

inline constexpr const char* kApiKeyPrefix = "sk-";
inline constexpr size_t kMaxAllowedModels = 100;

struct ApiKey {
  std::string id;
  std::string workspace_id;
  std::string user_id;
  std::string name;
  std::string masked;                       // "sk-AbCd...wxyz"
  std::vector<std::string> allowed_models;  // empty: every model the workspace may use
  int64_t expires_at = 0;                   // 0: never
  bool disabled = false;
  int64_t created_at = 0;
  int64_t last_used_at = 0;  // 0: never used (updated at most once a minute)
  bool allows(std::string_view model) const;
};

struct NewApiKey {
  std::string user_id;
  std::string workspace_id;
  std::string name;
  int64_t expires_at = 0;
  std::vector<std::string> allowed_models;
  // Administrators may put keys in any workspace; users only in their own.
  bool any_workspace = false;
};

struct CreatedApiKey {
  ApiKey key;
  std::string plaintext;  // shown to the client once, never stored or logged
};

// PARAM_ERROR on invalid fields (an expiry in the past, bad model names),
// NOT_FOUND for an unknown user or a workspace the user is not a member of,
// CONFLICT once the user already holds `max_per_user` keys.
CreatedApiKey create_api_key(store::Session& s, const NewApiKey& k, int64_t max_per_user);

std::optional<ApiKey> find_api_key(store::Store& st, std::string_view id);
std::optional<ApiKey> find_api_key(store::Session& s, std::string_view id);
// Owners and administrators may read and delete a key; everyone else must
// be told it does not exist.
bool can_manage(const Caller& c, const ApiKey& k);

struct ApiKeyQuery {
  std::string user_id;       // "" for every user (administrators)
  std::string workspace_id;  // "" for every workspace
  int64_t offset = 0;
  int64_t limit = 20;
};
struct ApiKeyPage {
  std::vector<ApiKey> items;
  int64_t total = 0;
};
ApiKeyPage list_api_keys(store::Store& st, const ApiKeyQuery& q);

// False when no such key. Takes effect on the next verify_key call.
bool delete_api_key(store::Session& s, std::string_view id);

struct VerifiedKey {
  ApiKey key;
  std::string user_name;
  std::string user_role;
  std::string workspace_slug;
};

// The gateway's check on every request: the key must exist, be enabled and
// unexpired, and its user enabled and still allowed in the key's workspace.
// Looks up by hash (indexed) and compares in constant time; no cache.
std::optional<VerifiedKey> verify_key(store::Store& st, std::string_view plaintext);

}  // namespace hydra::auth
