#include "auth/api_keys.h"

#include <algorithm>
#include <boost/json.hpp>

#include "auth/auth_epoch.h"
#include "auth/text_checks.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/random.h"

namespace hydra::auth {
namespace {

constexpr size_t kMaxKeyLength = 128;
constexpr int64_t kLastUsedResolutionMs = 60 * 1000;

constexpr const char* kKeyColumns =
    "k.id, k.workspace_id, k.user_id, k.name, k.masked, k.allowed_models, k.expires_at, "
    "k.disabled, "
    "k.created_at, k.last_used_at";

std::vector<std::string> models_from_json(const std::string& text) {
  std::vector<std::string> out;
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_array()) return out;
  for (const auto& m : v.get_array()) {
    if (m.is_string()) out.emplace_back(m.get_string());
  }
  return out;
}

std::string models_to_json(const std::vector<std::string>& models) {
  boost::json::array a;
  for (const auto& m : models) a.emplace_back(m);
  return boost::json::serialize(a);
}

ApiKey key_from_row(const store::Rows::Row& r) {
  ApiKey k;
  k.id = r.str("id");
  k.workspace_id = r.str("workspace_id");
  k.user_id = r.str("user_id");
  k.name = r.str("name");
  k.masked = r.str("masked");
  k.allowed_models = models_from_json(r.str("allowed_models"));
  k.expires_at = r.i64("expires_at");
  k.disabled = r.boolean("disabled");
  k.created_at = r.i64("created_at");
  k.last_used_at = r.i64("last_used_at");
  return k;
}

template <class Q>
std::optional<ApiKey> find_in(Q& q, std::string_view id) {
  auto rows = q.query(std::string("SELECT ") + kKeyColumns + " FROM api_keys k WHERE k.id = ?",
                      {std::string(id)});
  if (rows.empty()) return std::nullopt;
  return key_from_row(rows[0]);
}

// Access names are "public/<id>" or "<workspace>/<deployment>"; anything
// printable without spaces is accepted because models may be added later.
std::vector<std::string> clean_model_list(const std::vector<std::string>& in) {
  if (in.size() > kMaxAllowedModels) {
    throw_param("allowed_models may list at most " + std::to_string(kMaxAllowedModels) + " models",
                "allowed_models");
  }
  std::vector<std::string> out;
  for (const auto& m : in) {
    if (m.empty() || m.size() > 256 || m.find(' ') != std::string::npos) {
      throw_param("allowed_models entries must be model names of 1-256 characters without spaces",
                  "allowed_models");
    }
    check_plain_text(m, 256, "allowed_models");
    if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
  }
  return out;
}

void check_owner_and_workspace(store::Session& s, const NewApiKey& in) {
  // Touching the user row serialises concurrent creations for one user on
  // every backend, so the per-user maximum holds under races.
  if (s.exec("UPDATE users SET updated_at = updated_at WHERE id = ?", {in.user_id}) == 0) {
    throw_not_found("user");
  }
  if (s.query("SELECT id FROM workspaces WHERE id = ?", {in.workspace_id}).empty()) {
    throw_not_found("workspace");
  }
  if (in.any_workspace) return;
  auto member = s.query("SELECT role FROM memberships WHERE workspace_id = ? AND user_id = ?",
                        {in.workspace_id, in.user_id});
  if (member.empty()) throw_not_found("workspace");
}

std::string masked_form(std::string_view random_part) {
  return std::string(kApiKeyPrefix) + std::string(random_part.substr(0, 4)) + "..." +
         std::string(random_part.substr(random_part.size() - 4));
}

}  // namespace

bool ApiKey::allows(std::string_view model) const {
  return allowed_models.empty() ||
         std::find(allowed_models.begin(), allowed_models.end(), model) != allowed_models.end();
}

CreatedApiKey create_api_key(store::Session& s, const NewApiKey& in, int64_t max_per_user) {
  check_plain_text(in.name, 64, "name");
  if (in.expires_at < 0 || (in.expires_at > 0 && in.expires_at <= now_ms())) {
    throw_param("expires_at must be a time in the future (milliseconds since the epoch)",
                "expires_at");
  }
  std::vector<std::string> models = clean_model_list(in.allowed_models);
  check_owner_and_workspace(s, in);
  int64_t held =
      s.query("SELECT COUNT(*) AS n FROM api_keys WHERE user_id = ?", {in.user_id})[0].i64("n");
  if (held >= max_per_user) {
    throw_conflict("API key limit reached: a user may hold at most " +
                   std::to_string(max_per_user) + " keys; delete one first");
  }

  std::string random_part = random_token(32);
  CreatedApiKey out;
  out.plaintext = kApiKeyPrefix + random_part;
  ApiKey& k = out.key;
  k.id = new_id();
  k.workspace_id = in.workspace_id;
  k.user_id = in.user_id;
  k.name = in.name;
  k.masked = masked_form(random_part);
  k.allowed_models = std::move(models);
  k.expires_at = in.expires_at;
  k.created_at = now_ms();
  s.exec(
      "INSERT INTO api_keys (id, workspace_id, user_id, name, key_hash, masked, allowed_models, "
      "expires_at, disabled, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
      {k.id, k.workspace_id, k.user_id, k.name, sha256_hex(out.plaintext), k.masked,
       models_to_json(k.allowed_models),
       k.expires_at > 0 ? store::Value{k.expires_at} : store::Value{store::Null{}}, k.created_at});
  return out;
}

std::optional<ApiKey> find_api_key(store::Store& st, std::string_view id) {
  return find_in(st, id);
}
std::optional<ApiKey> find_api_key(store::Session& s, std::string_view id) {
  return find_in(s, id);
}

bool can_manage(const Caller& c, const ApiKey& k) {
  return c.admin() || k.user_id == c.user_id;
}

ApiKeyPage list_api_keys(store::Store& st, const ApiKeyQuery& q) {
  std::string where = " WHERE 1 = 1";
  store::Params params;
  if (!q.user_id.empty()) {
    where += " AND k.user_id = ?";
    params.emplace_back(q.user_id);
  }
  if (!q.workspace_id.empty()) {
    where += " AND k.workspace_id = ?";
    params.emplace_back(q.workspace_id);
  }
  ApiKeyPage page;
  page.total = st.query("SELECT COUNT(*) AS n FROM api_keys k" + where, params)[0].i64("n");
  params.insert(params.end(), {q.limit, q.offset});
  auto rows = st.query(std::string("SELECT ") + kKeyColumns + " FROM api_keys k" + where +
                           " ORDER BY k.created_at DESC, k.id DESC LIMIT ? OFFSET ?",
                       params);
  for (auto r : rows) page.items.push_back(key_from_row(r));
  return page;
}

bool delete_api_key(store::Session& s, std::string_view id) {
  invalidate_auth_caches_on_commit(s);
  return s.exec("DELETE FROM api_keys WHERE id = ?", {std::string(id)}) > 0;
}

std::optional<VerifiedKey> verify_key(store::Store& st, std::string_view plaintext) {
  if (plaintext.size() <= 3 || plaintext.size() > kMaxKeyLength ||
      plaintext.substr(0, 3) != kApiKeyPrefix) {
    return std::nullopt;
  }
  std::string hash = sha256_hex(plaintext);
  int64_t now = now_ms();
  auto rows = st.query(
      std::string("SELECT ") + kKeyColumns +
          ", k.key_hash, u.name AS user_name, u.role AS user_role, w.slug AS workspace_slug "
          "FROM api_keys k JOIN users u ON u.id = k.user_id JOIN workspaces w ON w.id = "
          "k.workspace_id "
          "LEFT JOIN memberships m ON m.workspace_id = k.workspace_id AND m.user_id = k.user_id "
          "WHERE k.key_hash = ? AND k.disabled = 0 AND u.disabled = 0 "
          "AND (k.expires_at IS NULL OR k.expires_at > ?) "
          "AND (m.user_id IS NOT NULL OR u.role = 'admin')",
      {hash, now});
  if (rows.empty() || !constant_time_equal(rows[0].str("key_hash"), hash)) return std::nullopt;
  VerifiedKey v{key_from_row(rows[0]), rows[0].str("user_name"), rows[0].str("user_role"),
                rows[0].str("workspace_slug")};
  if (now - v.key.last_used_at >= kLastUsedResolutionMs) {
    // Best effort and at most once a minute per key: a busy store must not
    // turn a valid key into a failed request.
    try {
      st.exec("UPDATE api_keys SET last_used_at = ? WHERE id = ?", {now, v.key.id});
      v.key.last_used_at = now;
    } catch (const std::exception&) {
    }
  }
  return v;
}

}  // namespace hydra::auth
