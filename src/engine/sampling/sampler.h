#pragma once
// Picks the next token of one sequence from the model's logits.
//
// Order of operations on the logits:
//   1. penalties: repetition (prompt and output tokens), presence and
//      frequency (output tokens);
//   2. logprobs, when asked: the log-softmax over the whole vocabulary of
//      the penalised logits — before temperature, truncation and the JSON
//      constraint, so they describe the model (with penalties), not the
//      sampling settings;
//   3. temperature 0: the highest logit (lowest id on ties); otherwise
//      temperature -> top_k -> softmax -> top_p -> min_p -> one draw from
//      the request's own random stream;
//   4. JSON mode / JSON schema: a drawn token whose bytes would break the
//      value, or leave it unable to close within the remaining token
//      budget, is set aside and the draw repeated among the rest; when every
//      candidate is refused, the most likely allowed token of the whole
//      vocabulary wins (a single-byte token always is: the next byte of the
//      completion). End tokens are allowed only where the value may end.
#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/sampling/output_constraint.h"
#include "engine/sampling/rng.h"
#include "engine/sampling/sampling_params.h"
#include "engine/sampling/token_bytes.h"

namespace hydra::engine {

struct TokenLogprob {
  int32_t token = 0;
  float logprob = 0;
};

struct SampledToken {
  int32_t token = -1;
  float logprob = 0;              // when params.logprobs
  std::vector<TokenLogprob> top;  // params.top_logprobs best, most likely first
};

class Sampler {
 public:
  // `token_bytes` is required in JSON mode and must outlive the sampler;
  // `end_tokens` are the ids that end the sequence (never allowed before a
  // JSON object is complete). `stream` is the choice index for n > 1.
  Sampler(const SamplingParams& params, uint64_t seed, uint64_t stream = 0,
          const TokenBytes* token_bytes = nullptr, std::vector<int32_t> end_tokens = {});

  // Tokens of the prompt, for the repetition penalty.
  void add_prompt(std::span<const int32_t> tokens);
  // Chooses a token. `logits` is modified (penalties); `remaining` is how
  // many tokens may still be generated, this one included.
  SampledToken sample(std::span<float> logits, int32_t remaining);
  // Records the token chosen (penalties, grammar).
  void accept(int32_t token);

  bool json_complete() const { return constraint_ && constraint_->complete(); }

 private:
  struct Candidate {
    int32_t token;
    float p;
  };
  void apply_penalties(std::span<float> logits) const;
  void fill_logprobs(std::span<const float> logits, SampledToken& out) const;
  int32_t pick_greedy(std::span<const float> logits, int32_t remaining) const;
  std::vector<Candidate> candidates(std::span<const float> logits) const;
  int32_t draw(std::vector<Candidate>& cands, std::span<const float> logits, int32_t remaining);
  bool allowed(int32_t token, int32_t remaining) const;

  SamplingParams params_;
  Rng rng_;
  const TokenBytes* token_bytes_;
  std::unordered_set<int32_t> end_tokens_;
  std::unique_ptr<OutputConstraint> constraint_;
  std::unordered_map<int32_t, int32_t> output_counts_;
  std::unordered_set<int32_t> seen_;  // prompt and output
};

}  // namespace hydra::engine
