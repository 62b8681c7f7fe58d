#pragma once
// What a request will cost before it runs, for reservations: tokens (a
// prompt estimate plus the completion budget) and images.
#include <boost/json/object.hpp>
#include <cstdint>
#include <string_view>

namespace hydra::limits {

// Completion tokens reserved when the request names no max_tokens.
inline constexpr int64_t kDefaultCompletionReserve = 1024;

struct Estimate {
  int64_t tokens = 0;
  int64_t images = 0;
};

// The prompt estimate is one token per 4 bytes of the request's text
// (every string in messages, prompt or input) plus 4 tokens per message;
// the completion budget is max_completion_tokens or max_tokens (else
// kDefaultCompletionReserve; 0 for embeddings and images), times `n`.
// `upstream_path` is the path after /v1, e.g. "/chat/completions".
Estimate estimate_request(const boost::json::object& body, std::string_view upstream_path);

}  // namespace hydra::limits
