#pragma once
// What a request asks of the sampler, in OpenAI / vLLM terms.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hydra::engine {

struct JsonSchema;

struct SamplingParams {
  float temperature = 1.0f;  // 0: greedy (top_* are then ignored)
  float top_p = 1.0f;        // (0, 1]
  int32_t top_k = 0;         // 0 or -1: off
  float min_p = 0.0f;        // [0, 1]: drop tokens below min_p * p(best)
  // Subtracted once from every token already generated / per occurrence.
  float presence_penalty = 0.0f;   // [-2, 2]
  float frequency_penalty = 0.0f;  // [-2, 2]
  // > 0; tokens seen in the prompt or the output have positive logits
  // divided and negative logits multiplied by it (1: off).
  float repetition_penalty = 1.0f;
  std::optional<uint64_t> seed;  // absent: a fresh random seed per request
  int32_t max_tokens = 256;
  int32_t n = 1;  // choices; choice i draws from its own stream of the seed
  bool logprobs = false;
  int32_t top_logprobs = 0;             // 0..20
  std::vector<std::string> stop;        // stop strings (not part of the output)
  std::vector<int32_t> stop_token_ids;  // in addition to the model's end tokens
  bool ignore_eos = false;
  bool json_mode = false;  // response_format {"type": "json_object"}
  int32_t json_max_depth = 32;
  // response_format {"type": "json_schema"}: output valid against it.
  std::shared_ptr<const JsonSchema> json_schema;
};

// Throws ApiError (PARAM_ERROR, naming the parameter) for values out of range.
void validate(const SamplingParams& params);

}  // namespace hydra::engine
