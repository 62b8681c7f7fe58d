#pragma once
// Platform error codes and the OpenAI-shaped error body (DESIGN.md §4).
// Every failure that reaches a client is an ApiError; its code decides the
// HTTP status and the `type` string, so the same code always looks the same.
#include <boost/json/value.hpp>
#include <stdexcept>
#include <string>

namespace hydra {

enum class ErrorCode : int {
  kInvokeModelError = 500001,
  kParamError = 500002,
  kSystemError = 500003,
  kIncorrectApiKey = 500004,
  kModelNotFound = 500005,
  kModelNotAllowed = 500006,
  kUpstreamTimeout = 500007,
  kNoHealthyUpstream = 500008,
  kNotFound = 500009,
  kForbidden = 500010,
  kConflict = 500011,
  kUnauthenticated = 500012,
  kPayloadTooLarge = 500013,
  kRequestTimeout = 500014,
  kServerBusy = 500015,
  kMethodNotAllowed = 500016,
  kHeaderTooLarge = 500017,
  kLimitExceeded = 500018,
  kInputModeration = 600003,
  kOutputModeration = 600004,
  kResourcesTips = 600005,
  kAkRpm = 700001,
  kAkTpm = 700002,
  kAkBanned = 700003,
  kModelRpm = 700004,
  kModelTpm = 700005,
  kAkIpm = 700006,
  kModelIpm = 700007,
  kAkConcurrency = 700008,
  kModelConcurrency = 700009,
  kWorkspaceRateLimit = 700010,
  kGlobalRateLimit = 700011,
};

struct ErrorInfo {
  int http_status;
  const char* type;
};

ErrorInfo error_info(ErrorCode code);

class ApiError : public std::runtime_error {
 public:
  ApiError(ErrorCode code, std::string message, std::string param = {})
      : std::runtime_error(std::move(message)), code_(code), param_(std::move(param)) {}
  ErrorCode code() const { return code_; }
  const std::string& param() const { return param_; }
  int http_status() const { return error_info(code_).http_status; }

 private:
  ErrorCode code_;
  std::string param_;
};

// {"error":{"message":..,"type":..,"param":..,"code":..}}
boost::json::value error_body(ErrorCode code, std::string_view message,
                              std::string_view param = {});
std::string error_body_text(ErrorCode code, std::string_view message, std::string_view param = {});

// Shorthands for the most common failures.
[[noreturn]] void throw_param(std::string message, std::string param = {});
[[noreturn]] void throw_not_found(std::string what);
[[noreturn]] void throw_conflict(std::string message);
[[noreturn]] void throw_forbidden(std::string message);

}  // namespace hydra
