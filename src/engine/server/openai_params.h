#pragma once
// The sampling fields OpenAI and vLLM clients send, read from a request
// body into SamplingParams. Unknown fields are ignored (clients send many);
// a known field of the wrong type or out of range is PARAM_ERROR naming it.
#include <boost/json.hpp>
#include <string>

#include "common/json.h"
#include "engine/sampling/sampling_params.h"

namespace hydra::engine {

enum class Endpoint { kChat, kCompletion };

// Reads temperature, top_p, top_k, min_p, penalties, seed, stop,
// stop_token_ids, ignore_eos, n, max_tokens (max_completion_tokens for
// chat), logprobs/top_logprobs in the endpoint's shape, response_format.
// max_tokens stays 0 when the request did not set it.
SamplingParams read_sampling_params(hydra::json::Fields& f, Endpoint endpoint);

// `stream` and `stream_options` {include_usage, continuous_usage_stats}.
struct StreamSettings {
  bool stream = false;
  bool include_usage = false;
  // vLLM's option: every chunk carries the usage so far (with include_usage).
  bool continuous_usage = false;
};
StreamSettings read_stream_settings(hydra::json::Fields& f);

}  // namespace hydra::engine
