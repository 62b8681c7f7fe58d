#pragma once
// One sequence from prompt to finish: decode, sample, detokenize, stop.
// The batched scheduler of the server drives the same pieces (Sampler,
// StreamDecoder, StopMatcher) for many sequences at once; this loop is the
// plain form of it, used by tests and tools.
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/model/model.h"
#include "engine/sampling/sampler.h"
#include "engine/sampling/sampling_params.h"
#include "engine/sampling/token_bytes.h"
#include "engine/tokenizer/tokenizer.h"

namespace hydra::engine {

struct Generation {
  std::vector<int32_t> tokens;         // generated ids (an end token that stopped it excluded)
  std::string text;                    // output text (stop string excluded)
  std::string finish_reason;           // "stop" or "length"
  std::vector<SampledToken> logprobs;  // per generated token, when asked
};

// The ids that end generation: the tokenizer's EOS/EOT, the model's
// configured end tokens, and params.stop_token_ids (model ends skipped with
// ignore_eos).
std::vector<int32_t> end_tokens(const Model& model, const Tokenizer& tokenizer,
                                const SamplingParams& params);

// Generates choice `choice` (0..n-1) of a request. `seed` is the request's
// seed (params.seed, or a fresh one shared by its choices). `token_bytes`
// is needed in JSON mode. `on_text`, when given, receives each piece of
// output text as soon as it is final; returning false cancels (finish
// reason "cancelled").
Generation generate(const Model& model, const Tokenizer& tokenizer, std::span<const int32_t> prompt,
                    const SamplingParams& params, uint64_t seed, int choice = 0,
                    const TokenBytes* token_bytes = nullptr,
                    const std::function<bool(std::string_view)>& on_text = {});

}  // namespace hydra::engine
