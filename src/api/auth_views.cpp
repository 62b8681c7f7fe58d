#include "api/auth_views.h"

#include "auth/sessions.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/strings.h"

namespace hydra::api {
namespace {

// 0 means "never" in the auth structs; clients get null for it.
boost::json::value time_or_null(int64_t ms) {
  if (ms == 0) return nullptr;
  return ms;
}

}  // namespace

boost::json::object user_json(const auth::User& u) {
  boost::json::object o;
  o["id"] = u.id;
  o["name"] = u.name;
  o["display_name"] = u.display_name;
  o["email"] = u.email;
  o["role"] = u.role;
  o["disabled"] = u.disabled;
  o["workspace_id"] = u.personal_workspace_id();
  o["created_at"] = u.created_at;
  o["updated_at"] = u.updated_at;
  o["last_login_at"] = time_or_null(u.last_login_at);
  return o;
}

boost::json::object workspace_json(const auth::Workspace& w) {
  boost::json::object o;
  o["id"] = w.id;
  o["slug"] = w.slug;
  o["name"] = w.name;
  o["description"] = w.description;
  o["personal"] = w.personal;
  if (!w.role.empty()) o["role"] = w.role;
  o["created_at"] = w.created_at;
  o["updated_at"] = w.updated_at;
  return o;
}

boost::json::object member_json(const auth::Membership& m) {
  boost::json::object o;
  o["workspace_id"] = m.workspace_id;
  o["user_id"] = m.user_id;
  o["user_name"] = m.user_name;
  o["role"] = m.role;
  o["created_at"] = m.created_at;
  return o;
}

boost::json::object api_key_json(const auth::ApiKey& k) {
  boost::json::object o;
  o["id"] = k.id;
  o["name"] = k.name;
  o["masked"] = k.masked;
  o["workspace_id"] = k.workspace_id;
  o["user_id"] = k.user_id;
  boost::json::array models;
  for (const auto& m : k.allowed_models) models.emplace_back(m);
  o["allowed_models"] = std::move(models);
  o["disabled"] = k.disabled;
  o["expires_at"] = time_or_null(k.expires_at);
  o["expired"] = k.expires_at != 0 && k.expires_at <= now_ms();
  o["created_at"] = k.created_at;
  o["last_used_at"] = time_or_null(k.last_used_at);
  return o;
}

std::string presented_session_token(const http::Request& req) {
  if (const std::string* h = req.header("authorization")) {
    std::string v = trim(*h);
    if (v.size() > 7 && to_lower(v.substr(0, 7)) == "bearer ") return trim(v.substr(7));
  }
  return req.cookie(auth::kSessionCookie);
}

void transact_or_conflict(store::Store& st, const std::function<void(store::Session&)>& fn) {
  try {
    st.transact(fn);
  } catch (const store::UniqueViolation&) {
    throw_conflict("the resource already exists or was changed concurrently; retry");
  }
}

}  // namespace hydra::api
