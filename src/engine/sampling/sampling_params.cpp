#include "engine/sampling/sampling_params.h"

#include <cmath>

#include "common/error.h"
#include "engine/sampling/json_schema.h"

namespace hydra::engine {

void validate(const SamplingParams& p) {
  auto check = [](bool ok, const char* param, const std::string& rule) {
    if (!ok) throw_param(std::string(param) + " " + rule, param);
  };
  check(std::isfinite(p.temperature) && p.temperature >= 0 && p.temperature <= 100, "temperature",
        "must be between 0 and 100");
  check(p.top_p > 0 && p.top_p <= 1, "top_p", "must be in (0, 1]");
  check(p.top_k >= -1, "top_k", "must be -1, 0 (off) or positive");
  check(p.min_p >= 0 && p.min_p <= 1, "min_p", "must be in [0, 1]");
  check(p.presence_penalty >= -2 && p.presence_penalty <= 2, "presence_penalty",
        "must be between -2 and 2");
  check(p.frequency_penalty >= -2 && p.frequency_penalty <= 2, "frequency_penalty",
        "must be between -2 and 2");
  check(p.repetition_penalty > 0 && p.repetition_penalty <= 10, "repetition_penalty",
        "must be in (0, 10]");
  check(p.max_tokens >= 1, "max_tokens", "must be at least 1");
  check(!p.json_mode || p.max_tokens >= 2, "max_tokens", "must be at least 2 in JSON mode");
  if (p.json_schema) {
    const size_t shortest = p.json_schema->nodes[p.json_schema->root].shortest.size();
    check(p.max_tokens >= static_cast<int64_t>(shortest), "max_tokens",
          "must be at least " + std::to_string(shortest) +
              " for this JSON schema (its shortest value)");
  }
  check(p.n >= 1 && p.n <= 128, "n", "must be between 1 and 128");
  check(p.top_logprobs >= 0 && p.top_logprobs <= 20, "top_logprobs", "must be between 0 and 20");
  check(p.stop.size() <= 16, "stop", "takes at most 16 strings");
  for (const std::string& s : p.stop) check(!s.empty(), "stop", "strings must not be empty");
  check(p.json_max_depth >= 1 && p.json_max_depth <= 256, "json_max_depth",
        "must be between 1 and 256");
}

}  // namespace hydra::engine
