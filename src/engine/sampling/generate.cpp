#include "engine/sampling/generate.h"

#include <algorithm>

#include "common/error.h"
#include "engine/model/decoder.h"
#include "engine/model/kv_cache.h"
#include "engine/sampling/stop_matcher.h"
#include "engine/tokenizer/stream_decoder.h"

namespace hydra::engine {

std::vector<int32_t> end_tokens(const Model& model, const Tokenizer& tokenizer,
                                const SamplingParams& params) {
  std::vector<int32_t> out(params.stop_token_ids);
  if (!params.ignore_eos) {
    const VocabData& v = tokenizer.vocab();
    for (int32_t id : {v.eos, v.eot}) {
      if (id >= 0) out.push_back(id);
    }
    for (int64_t id : model.config.eos_token_ids) out.push_back(static_cast<int32_t>(id));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Generation generate(const Model& model, const Tokenizer& tokenizer, std::span<const int32_t> prompt,
                    const SamplingParams& params, uint64_t seed, int choice,
                    const TokenBytes* token_bytes,
                    const std::function<bool(std::string_view)>& on_text) {
  validate(params);
  if (prompt.empty()) throw_param("the prompt must not be empty");
  const std::vector<int32_t> ends = end_tokens(model, tokenizer, params);
  Sampler sampler(params, seed, static_cast<uint64_t>(choice), token_bytes, ends);
  sampler.add_prompt(prompt);
  KvCache cache(model, static_cast<int64_t>(prompt.size()) + params.max_tokens);
  std::vector<float> logits(static_cast<size_t>(model.n_vocab()));
  decode(model, cache, prompt, logits.data());

  Generation g;
  StreamDecoder detok(tokenizer);
  StopMatcher stops(params.stop);
  auto emit = [&](const std::string& text) {
    g.text += text;
    return text.empty() || !on_text || on_text(text);
  };
  for (int32_t i = 0; i < params.max_tokens; ++i) {
    SampledToken s = sampler.sample(logits, params.max_tokens - i);
    if (std::binary_search(ends.begin(), ends.end(), s.token)) {
      g.finish_reason = "stop";
      break;
    }
    sampler.accept(s.token);
    g.tokens.push_back(s.token);
    if (params.logprobs || params.top_logprobs > 0) g.logprobs.push_back(std::move(s));
    if (!emit(stops.push(detok.push(g.tokens.back())))) {
      g.finish_reason = "cancelled";
      return g;
    }
    if (stops.stopped() || sampler.json_complete()) {
      g.finish_reason = "stop";
      break;
    }
    if (i + 1 < params.max_tokens) {
      decode(model, cache, std::span<const int32_t>(&g.tokens.back(), 1), logits.data());
    }
  }
  if (g.finish_reason.empty()) g.finish_reason = "length";
  if (!stops.stopped()) {
    std::string tail = stops.push(detok.flush());
    if (stops.stopped()) {
      g.finish_reason = "stop";
    } else {
      tail += stops.flush();
    }
    emit(tail);
  }
  return g;
}

}  // namespace hydra::engine
