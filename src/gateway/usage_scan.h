#pragma once
// The usage counts of a whole (non-streamed) OpenAI answer, read by a SAX
// pass that builds no document: the counts are all the gateway needs from
// an answer (output moderation parses it only when there are output rules),
// and building the document about doubled the cost of reading it.
//
// Same result as parsing the answer with boost::json and reading
// usage.prompt_tokens, usage.completion_tokens and
// usage.prompt_tokens_details.cached_tokens with json::count_or_zero (the
// fuzz target fuzz_usage_scan checks the two against each other).
#include <cstdint>
#include <string_view>

namespace hydra::gateway {

struct AnswerUsage {
  bool valid = false;  // the answer is one JSON object
  bool found = false;  // ... with a "usage" object
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;
};

AnswerUsage scan_usage(std::string_view answer);

}  // namespace hydra::gateway
