#include "http/dispatch.h"

#include <boost/json.hpp>

#include "common/error.h"
#include "common/log.h"

namespace hydra::http {

Response dispatch(const Router& router, Request& req, std::string* route_label) {
  try {
    bool path_matched = false;
    const Route* route = router.match(req, &path_matched);
    if (route) {
      *route_label = route->pattern;
      if (!route->handler)
        throw std::logic_error("asynchronous route called synchronously: " + route->pattern);
      return route->handler(req);
    }
    if (!path_matched && router.fallback() && req.method == "GET") {
      *route_label = "fallback";
      return router.fallback()(req);
    }
    *route_label = "unmatched";
    if (path_matched) {
      throw ApiError(ErrorCode::kMethodNotAllowed,
                     "method " + req.method + " not allowed on " + req.path);
    }
    throw ApiError(ErrorCode::kNotFound, "no route for " + req.method + " " + req.path);
  } catch (const ApiError& e) {
    return Response::json(e.http_status(), error_body(e.code(), e.what(), e.param()));
  } catch (const std::exception& e) {
    spdlog::error("request {} {} failed: {}", req.request_id, req.path, e.what());
    return Response::json(
        500, error_body(ErrorCode::kSystemError, "internal error; request id " + req.request_id));
  }
}

}  // namespace hydra::http
