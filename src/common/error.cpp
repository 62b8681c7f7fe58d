#include "common/error.h"

#include <boost/json/serialize.hpp>

#include "common/strings.h"

namespace hydra {

ErrorInfo error_info(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvokeModelError:
      return {502, "INVOKE_MODEL_ERROR"};
    case ErrorCode::kParamError:
      return {400, "PARAM_ERROR"};
    case ErrorCode::kSystemError:
      return {500, "SYSTEM_ERROR"};
    case ErrorCode::kIncorrectApiKey:
      return {401, "INCORRECT_API_KEY_PROVIDED"};
    case ErrorCode::kModelNotFound:
      return {404, "MODEL_NOT_FOUND"};
    case ErrorCode::kModelNotAllowed:
      return {403, "MODEL_NOT_ALLOWED"};
    case ErrorCode::kUpstreamTimeout:
      return {504, "UPSTREAM_TIMEOUT"};
    case ErrorCode::kNoHealthyUpstream:
      return {503, "NO_HEALTHY_UPSTREAM"};
    case ErrorCode::kNotFound:
      return {404, "NOT_FOUND"};
    case ErrorCode::kForbidden:
      return {403, "FORBIDDEN"};
    case ErrorCode::kConflict:
      return {409, "CONFLICT"};
    case ErrorCode::kUnauthenticated:
      return {401, "UNAUTHENTICATED"};
    case ErrorCode::kPayloadTooLarge:
      return {413, "PAYLOAD_TOO_LARGE"};
    case ErrorCode::kRequestTimeout:
      return {408, "REQUEST_TIMEOUT"};
    case ErrorCode::kServerBusy:
      return {503, "SERVER_BUSY"};
    case ErrorCode::kMethodNotAllowed:
      return {405, "METHOD_NOT_ALLOWED"};
    case ErrorCode::kHeaderTooLarge:
      return {431, "HEADER_TOO_LARGE"};
    case ErrorCode::kLimitExceeded:
      return {429, "LIMIT_EXCEEDED"};
    case ErrorCode::kInputModeration:
      return {400, "INPUT_MODERATION_REFUSED"};
    case ErrorCode::kOutputModeration:
      return {400, "OUTPUT_MODERATION_REFUSED"};
    case ErrorCode::kResourcesTips:
      return {429, "RESOURCES_TIPS"};
    case ErrorCode::kAkRpm:
      return {429, "AK_RPM_RATELIMITING"};
    case ErrorCode::kAkTpm:
      return {429, "AK_TPM_RATELIMITING"};
    case ErrorCode::kAkBanned:
      return {429, "AK_BANNED"};
    case ErrorCode::kModelRpm:
      return {429, "MODEL_RPM_RATELIMITING"};
    case ErrorCode::kModelTpm:
      return {429, "MODEL_TPM_RATELIMITING"};
    case ErrorCode::kAkIpm:
      return {429, "AK_IPM_RATELIMITING"};
    case ErrorCode::kModelIpm:
      return {429, "MODEL_IPM_RATELIMITING"};
    case ErrorCode::kAkConcurrency:
      return {429, "AK_CONCURRENCY_RATELIMITING"};
    case ErrorCode::kModelConcurrency:
      return {429, "MODEL_CONCURRENCY_RATELIMITING"};
    case ErrorCode::kWorkspaceRateLimit:
      return {429, "WORKSPACE_RATELIMITING"};
    case ErrorCode::kGlobalRateLimit:
      return {429, "GLOBAL_RATELIMITING"};
  }
  return {500, "SYSTEM_ERROR"};
}

boost::json::value error_body(ErrorCode code, std::string_view message, std::string_view param) {
  boost::json::object err;
  // Messages may quote request text; a JSON answer must stay valid UTF-8.
  err["message"] = utf8_sanitize(message);
  err["type"] = error_info(code).type;
  if (param.empty()) {
    err["param"] = nullptr;
  } else {
    err["param"] = utf8_sanitize(param);
  }
  err["code"] = std::to_string(static_cast<int>(code));
  boost::json::object body;
  body["error"] = std::move(err);
  return body;
}

std::string error_body_text(ErrorCode code, std::string_view message, std::string_view param) {
  return boost::json::serialize(error_body(code, message, param));
}

void throw_param(std::string message, std::string param) {
  throw ApiError(ErrorCode::kParamError, std::move(message), std::move(param));
}
void throw_not_found(std::string what) {
  throw ApiError(ErrorCode::kNotFound, std::move(what) + " not found");
}
void throw_conflict(std::string message) {
  throw ApiError(ErrorCode::kConflict, std::move(message));
}
void throw_forbidden(std::string message) {
  throw ApiError(ErrorCode::kForbidden, std::move(message));
}

}  // namespace hydra
