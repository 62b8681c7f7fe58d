#include "auth/sessions.h"

#include "audit/audit.h"
#include "auth/auth_epoch.h"
#include "auth/password.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/random.h"

namespace hydra::auth {
namespace {

constexpr size_t kMaxTokenLength = 256;

// Attacker-chosen names end up in the audit log: keep them short and printable.
std::string printable(std::string_view text, size_t max_len) {
  std::string out;
  for (unsigned char c : text.substr(0, max_len)) out.push_back(c < 0x20 || c == 0x7f ? '?' : c);
  return out;
}

audit::Event login_event(const LoginRequest& req, std::string user_id, std::string result,
                         std::string detail) {
  audit::Event e;
  e.actor_id = user_id;
  e.actor_name = printable(req.name, 64);
  e.workspace_id = user_id;  // the personal workspace shares the user's id
  e.action = "Login";
  e.resource_type = "session";
  e.resource_id = std::move(user_id);
  e.result = std::move(result);
  e.detail = std::move(detail);
  e.source_ip = req.source_ip;
  e.request_id = req.request_id;
  return e;
}

[[noreturn]] void fail_login(store::Store& st, const LoginRequest& req, std::string user_id,
                             std::string reason) {
  st.transact(
      [&](store::Session& s) { audit::record(s, login_event(req, user_id, "failure", reason)); });
  throw ApiError(ErrorCode::kUnauthenticated, "invalid user name or password");
}

}  // namespace

LoginResult login(store::Store& st, const Config& cfg, const LoginRequest& req) {
  auto rows = st.query("SELECT id, password_hash, disabled FROM users WHERE name = ?", {req.name});
  // Unknown users are checked against a dummy hash so that the answer takes
  // as long as for a real user with a wrong password.
  std::string hash = rows.empty() ? dummy_password_hash() : rows[0].str("password_hash");
  bool password_ok = verify_password(hash, req.password);
  if (rows.empty()) fail_login(st, req, "", "unknown user");
  std::string user_id = rows[0].str("id");
  if (!password_ok) fail_login(st, req, user_id, "wrong password");
  if (rows[0].boolean("disabled")) fail_login(st, req, user_id, "user disabled");

  LoginResult out;
  out.token = random_token(32);
  int64_t now = now_ms();
  out.expires_at = now + cfg.session_ttl_s * 1000;
  st.transact([&](store::Session& s) {
    s.exec("DELETE FROM sessions WHERE user_id = ? AND expires_at <= ?", {user_id, now});
    s.exec(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, source_ip) VALUES (?, "
        "?, "
        "?, ?, ?)",
        {sha256_hex(out.token), user_id, now, out.expires_at, req.source_ip});
    s.exec("UPDATE users SET last_login_at = ? WHERE id = ?", {now, user_id});
    auto user = find_user(s, user_id);
    if (!user) throw ApiError(ErrorCode::kUnauthenticated, "invalid user name or password");
    out.user = *user;
    audit::record(s, login_event(req, user_id, "success", ""));
  });
  return out;
}

bool logout(store::Session& s, std::string_view token) {
  if (token.empty() || token.size() > kMaxTokenLength) return false;
  invalidate_auth_caches_on_commit(s);
  return s.exec("DELETE FROM sessions WHERE token_hash = ?", {sha256_hex(token)}) > 0;
}

std::optional<Caller> resolve(store::Store& st, std::string_view token) {
  if (token.empty() || token.size() > kMaxTokenLength) return std::nullopt;
  std::string hash = sha256_hex(token);
  auto rows = st.query(
      "SELECT s.token_hash, u.id, u.name, u.role FROM sessions s JOIN users u ON u.id = s.user_id "
      "WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = 0",
      {hash, now_ms()});
  if (rows.empty() || !constant_time_equal(rows[0].str("token_hash"), hash)) return std::nullopt;
  Caller c;
  c.user_id = rows[0].str("id");
  c.user_name = rows[0].str("name");
  c.role = rows[0].str("role");
  c.workspace_id = c.user_id;
  return c;
}

void revoke_sessions(store::Session& s, std::string_view user_id, std::string_view keep_token) {
  std::string keep = keep_token.empty() ? std::string() : sha256_hex(keep_token);
  invalidate_auth_caches_on_commit(s);
  s.exec("DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?",
         {std::string(user_id), keep});
}

}  // namespace hydra::auth
