#include "engine/sampling/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "common/error.h"

namespace hydra::engine {
namespace {

// Draws beyond which JSON mode stops rejecting and filters exactly.
constexpr int kRejectionTries = 64;

int32_t argmax(std::span<const float> logits) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

}  // namespace

Sampler::Sampler(const SamplingParams& params, uint64_t seed, uint64_t stream,
                 const TokenBytes* token_bytes, std::vector<int32_t> end_tokens)
    : params_(params),
      rng_(seed, stream),
      token_bytes_(token_bytes),
      end_tokens_(end_tokens.begin(), end_tokens.end()) {
  constraint_ = make_output_constraint(params);
  if (constraint_ && token_bytes == nullptr)
    throw_param("JSON mode needs the tokenizer's token bytes");
}

void Sampler::add_prompt(std::span<const int32_t> tokens) {
  if (params_.repetition_penalty != 1.0f) seen_.insert(tokens.begin(), tokens.end());
}

void Sampler::accept(int32_t token) {
  ++output_counts_[token];
  seen_.insert(token);
  if (constraint_ && token_bytes_ != nullptr && token >= 0 &&
      static_cast<size_t>(token) < token_bytes_->bytes.size()) {
    constraint_->accept(token_bytes_->bytes[token]);
  }
}

void Sampler::apply_penalties(std::span<float> logits) const {
  const auto n = static_cast<int32_t>(logits.size());
  if (params_.repetition_penalty != 1.0f) {
    for (int32_t t : seen_) {
      if (t < 0 || t >= n) continue;
      logits[t] = logits[t] > 0 ? logits[t] / params_.repetition_penalty
                                : logits[t] * params_.repetition_penalty;
    }
  }
  if (params_.presence_penalty != 0.0f || params_.frequency_penalty != 0.0f) {
    for (const auto& [t, count] : output_counts_) {
      if (t < 0 || t >= n) continue;
      logits[t] -= params_.presence_penalty + params_.frequency_penalty * static_cast<float>(count);
    }
  }
}

bool Sampler::allowed(int32_t token, int32_t remaining) const {
  if (!constraint_) return true;
  if (end_tokens_.count(token) != 0) return constraint_->may_end();
  // Model vocabularies may be padded beyond the tokenizer's; those rows
  // have no text.
  if (static_cast<size_t>(token) >= token_bytes_->bytes.size()) return false;
  const std::string& bytes = token_bytes_->bytes[token];
  if (bytes.empty()) return false;
  // Every byte of the completion may need a token of its own.
  return constraint_->allows(bytes, remaining - 1);
}

int32_t Sampler::pick_greedy(std::span<const float> logits, int32_t remaining) const {
  const int32_t best = argmax(logits);
  if (allowed(best, remaining)) return best;
  std::vector<int32_t> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  for (int32_t t : order) {
    if (allowed(t, remaining)) return t;
  }
  throw ApiError(ErrorCode::kInvokeModelError,
                 "JSON mode: the vocabulary has no token that continues the JSON object");
}

std::vector<Sampler::Candidate> Sampler::candidates(std::span<const float> logits) const {
  const auto n = static_cast<int32_t>(logits.size());
  std::vector<Candidate> c(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) c[i] = {i, logits[i] / params_.temperature};
  auto by_value = [](const Candidate& a, const Candidate& b) {
    return a.p > b.p || (a.p == b.p && a.token < b.token);
  };
  const int32_t k = params_.top_k;
  if (k > 0 && k < n) {
    std::nth_element(c.begin(), c.begin() + k, c.end(), by_value);
    c.resize(static_cast<size_t>(k));
  }
  // Softmax over what is left (values are scaled logits until here).
  float mx = -std::numeric_limits<float>::infinity();
  for (const Candidate& x : c) mx = std::max(mx, x.p);
  double sum = 0;
  for (Candidate& x : c) sum += (x.p = std::exp(x.p - mx));
  for (Candidate& x : c) x.p = static_cast<float>(x.p / sum);
  if (params_.top_p < 1.0f) {
    std::sort(c.begin(), c.end(), by_value);
    double cum = 0;
    size_t keep = 0;
    while (keep < c.size() && cum < params_.top_p) cum += c[keep++].p;
    c.resize(std::max<size_t>(keep, 1));
  }
  if (params_.min_p > 0.0f) {
    float best = 0;
    for (const Candidate& x : c) best = std::max(best, x.p);
    const float floor = params_.min_p * best;
    std::erase_if(c, [floor](const Candidate& x) { return x.p < floor; });
  }
  return c;
}

int32_t Sampler::draw(std::vector<Candidate>& c, std::span<const float> logits, int32_t remaining) {
  std::vector<double> cum(c.size());
  double total = 0;
  for (size_t i = 0; i < c.size(); ++i) cum[i] = (total += c[i].p);
  auto one = [&](const std::vector<double>& cdf, double mass) {
    const double u = rng_.uniform() * mass;
    size_t i = std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin();
    return std::min(i, cdf.size() - 1);
  };
  // Rejection keeps the draw exact: accepted tokens follow the candidate
  // distribution restricted to the allowed ones.
  const int tries = constraint_ ? kRejectionTries : 1;
  for (int t = 0; t < tries; ++t) {
    const int32_t token = c[one(cum, total)].token;
    if (allowed(token, remaining)) return token;
  }
  std::erase_if(c, [&](const Candidate& x) { return !allowed(x.token, remaining); });
  if (c.empty()) return pick_greedy(logits, remaining);
  total = 0;
  cum.resize(c.size());
  for (size_t i = 0; i < c.size(); ++i) cum[i] = (total += c[i].p);
  return c[one(cum, total)].token;
}

void Sampler::fill_logprobs(std::span<const float> logits, SampledToken& out) const {
  double mx = *std::max_element(logits.begin(), logits.end()), sum = 0;
  for (float l : logits) sum += std::exp(l - mx);
  const double lse = mx + std::log(sum);
  out.logprob = static_cast<float>(logits[out.token] - lse);
  const auto k = std::min<size_t>(static_cast<size_t>(params_.top_logprobs), logits.size());
  if (k == 0) return;
  std::vector<int32_t> idx(logits.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int32_t a, int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  });
  for (size_t i = 0; i < k; ++i) {
    out.top.push_back({idx[i], static_cast<float>(logits[idx[i]] - lse)});
  }
}

SampledToken Sampler::sample(std::span<float> logits, int32_t remaining) {
  if (logits.empty()) throw_param("no logits to sample from");
  apply_penalties(logits);
  SampledToken out;
  if (params_.temperature == 0.0f) {
    out.token = pick_greedy(logits, remaining);
  } else {
    std::vector<Candidate> c = candidates(logits);
    out.token = draw(c, logits, remaining);
  }
  if (params_.logprobs || params_.top_logprobs > 0) fill_logprobs(logits, out);
  return out;
}

}  // namespace hydra::engine
