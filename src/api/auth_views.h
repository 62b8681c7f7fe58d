#pragma once
// JSON shapes of the auth resources, shared by the auth, user, workspace and
// key routes, and the transaction wrapper those routes use.
#include <boost/json.hpp>
#include <functional>

#include "auth/api_keys.h"
#include "auth/users.h"
#include "auth/workspaces.h"
#include "http/message.h"
#include "store/store.h"

namespace hydra::api {

boost::json::object user_json(const auth::User& u);
boost::json::object workspace_json(const auth::Workspace& w);
boost::json::object member_json(const auth::Membership& m);
// Never includes the key itself: only create answers with it, once.
boost::json::object api_key_json(const auth::ApiKey& k);

// The session token a request presents: `Authorization: Bearer <token>`
// (CLI) or the hydra_session cookie (console); "" when none.
std::string presented_session_token(const http::Request& req);

// store.transact, with unique-key races the checks did not catch turned
// into 409 CONFLICT instead of a 500.
void transact_or_conflict(store::Store& st, const std::function<void(store::Session&)>& fn);

}  // namespace hydra::api
