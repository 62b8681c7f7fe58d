#pragma once
// Login sessions for the console (HttpOnly cookie) and the CLI (Bearer).
// The token is random and shown to the client only; the store keeps its
// SHA-256, so a copy of the database cannot be used to log in.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth/caller.h"
#include "auth/users.h"
#include "common/config.h"
#include "store/store.h"

namespace hydra::auth {

inline constexpr const char* kSessionCookie = "hydra_session";

struct LoginResult {
  std::string token;  // give to the client once; never log it
  int64_t expires_at = 0;
  User user;
};

struct LoginRequest {
  std::string name;
  std::string password;
  std::string source_ip;
  std::string request_id;
};

// Checks the password (argon2id) and opens a session that lasts
// Config::session_ttl_s, writing the "Login" audit event with it. Unknown
// users, wrong passwords and disabled users all fail the same way and take
// about the same time: UNAUTHENTICATED "invalid user name or password",
// after a "Login" audit event with result "failure".
LoginResult login(store::Store& st, const Config& cfg, const LoginRequest& req);

// Deletes the session; false when there was none.
bool logout(store::Session& s, std::string_view token);

// The caller behind a session token, or nothing when the token is unknown
// or expired or its user is disabled. workspace_id is the personal one.
std::optional<Caller> resolve(store::Store& st, std::string_view token);

// Ends every session of a user except `keep_token` (e.g. after a password
// change, keep the session that made it).
void revoke_sessions(store::Session& s, std::string_view user_id, std::string_view keep_token = {});

}  // namespace hydra::auth
