#pragma once
// What every management handler needs, and the small helpers they share:
// resolving the caller, role checks, pagination, JSON answers, audit events.
#include <boost/json.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "api/answer_cache.h"
#include "api/session_cache.h"
#include "audit/audit.h"
#include "auth/caller.h"
#include "common/config.h"
#include "http/message.h"
#include "http/metrics.h"
#include "http/router.h"
#include "store/store.h"

namespace hydra::api {

struct ApiContext {
  store::Store& store;
  const Config& config;
  http::Metrics& metrics;
  // Shared by copies of the context; see answer_cache.h.
  std::shared_ptr<AnswerCache> answers = std::make_shared<AnswerCache>();
  std::shared_ptr<SessionCache> sessions = std::make_shared<SessionCache>();
};

// Resolves the session from the `hydra_session` cookie or an
// `Authorization: Bearer <session token>` header; throws 401 otherwise.
auth::Caller require_user(ApiContext& ctx, http::Request& req);
// The caller when it is known without a query (a session resolved moments
// ago, no X-Hydra-Workspace): for answers served on the network thread.
std::optional<auth::Caller> cached_user(ApiContext& ctx, const http::Request& req);
// As require_user, and 403 unless the caller is an administrator.
auth::Caller require_admin(ApiContext& ctx, http::Request& req);

// ?page=1&page_size=20 (page_size at most 200).
struct PageParams {
  int64_t page = 1;
  int64_t page_size = 20;
  int64_t offset() const { return (page - 1) * page_size; }
};
PageParams page_params(const http::Request& req);
boost::json::object page_body(boost::json::array items, int64_t total, const PageParams& p);

http::Response ok(const boost::json::value& body, int status = 200);

// An audit event pre-filled with who, where from and which request.
audit::Event audit_event(const auth::Caller& c, std::string action, std::string resource_type,
                         std::string resource_id);

// Adds every /api/v1 route.
void register_routes(http::Router& router, ApiContext& ctx);

}  // namespace hydra::api
