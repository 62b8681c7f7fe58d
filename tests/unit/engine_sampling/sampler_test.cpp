// Each sampler's effect on a fixed distribution, penalties, logprobs and
// seeded reproducibility.
#include "engine/sampling/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "common/error.h"

namespace hydra::engine {
namespace {

// p ~ softmax: 0.50, 0.25, 0.125, 0.0625, ... for tokens 0..7.
std::vector<float> halving_logits() {
  std::vector<float> l(8);
  for (int i = 0; i < 8; ++i) l[i] = -static_cast<float>(i) * std::log(2.0f);
  return l;
}

std::map<int32_t, int> histogram(const SamplingParams& p, int draws, uint64_t seed = 1) {
  Sampler s(p, seed);
  std::map<int32_t, int> h;
  for (int i = 0; i < draws; ++i) {
    std::vector<float> l = halving_logits();
    ++h[s.sample(l, 100).token];
  }
  return h;
}

TEST(Sampler, GreedyTakesTheHighestLogitAndTheLowestIdOnTies) {
  SamplingParams p;
  p.temperature = 0;
  Sampler s(p, 1);
  std::vector<float> l = {0.1f, 2.0f, -1.0f, 2.0f};
  EXPECT_EQ(s.sample(l, 10).token, 1);
  EXPECT_EQ(histogram(p, 50), (std::map<int32_t, int>{{0, 50}}));
}

TEST(Sampler, TemperatureShapesTheDistribution) {
  SamplingParams p;
  const int n = 4000;
  for (float t : {0.5f, 1.0f, 2.0f}) {
    p.temperature = t;
    auto h = histogram(p, n, 7);
    double z = 0;
    for (int i = 0; i < 8; ++i) z += std::pow(0.5, i / t);
    for (int i = 0; i < 3; ++i) {
      EXPECT_NEAR(h[i] / double(n), std::pow(0.5, i / t) / z, 0.03) << "T=" << t << " token " << i;
    }
  }
}

TEST(Sampler, TopKTopPAndMinPTruncate) {
  SamplingParams p;
  p.temperature = 1.5f;
  p.top_k = 3;
  auto h = histogram(p, 2000);
  EXPECT_EQ(h.size(), 3u);
  EXPECT_EQ(h.rbegin()->first, 2);

  p = {};
  p.top_p = 0.7f;  // 0.5 + 0.25 reaches it
  h = histogram(p, 2000);
  EXPECT_EQ(h.size(), 2u);
  EXPECT_NEAR(h[0] / 2000.0, 2.0 / 3.0, 0.04);

  p = {};
  p.min_p = 0.2f;  // keeps p >= 0.1: tokens 0, 1, 2
  h = histogram(p, 2000);
  EXPECT_EQ(h.size(), 3u);
  EXPECT_EQ(h.rbegin()->first, 2);

  p = {};
  p.top_k = 1;
  p.temperature = 5;
  EXPECT_EQ(histogram(p, 200), (std::map<int32_t, int>{{0, 200}}));
}

TEST(Sampler, PenaltiesChangeTheLogitsAsDocumented) {
  SamplingParams p;
  p.temperature = 0;
  p.presence_penalty = 0.5f;
  p.frequency_penalty = 0.25f;
  p.repetition_penalty = 2.0f;
  Sampler s(p, 1);
  s.add_prompt(std::vector<int32_t>{2, 3});
  s.accept(0);
  s.accept(0);
  s.accept(3);
  std::vector<float> l = {4.0f, 1.0f, 1.0f, -1.0f, 1.0f};
  s.sample(l, 10);
  EXPECT_FLOAT_EQ(l[0], 4.0f / 2 - 0.5f - 0.5f);    // repeated twice in the output
  EXPECT_FLOAT_EQ(l[1], 1.0f);                      // unseen
  EXPECT_FLOAT_EQ(l[2], 0.5f);                      // prompt only: repetition penalty
  EXPECT_FLOAT_EQ(l[3], -1.0f * 2 - 0.5f - 0.25f);  // prompt and output once
  EXPECT_FLOAT_EQ(l[4], 1.0f);
}

TEST(Sampler, PenaltiesSteerGreedyAwayFromRepeats) {
  SamplingParams p;
  p.temperature = 0;
  p.frequency_penalty = 2.0f;
  Sampler s(p, 1);
  std::vector<int32_t> picked;
  for (int i = 0; i < 4; ++i) {
    std::vector<float> l = {1.0f, 0.9f, 0.8f};
    picked.push_back(s.sample(l, 10).token);
    s.accept(picked.back());
  }
  EXPECT_EQ(picked, (std::vector<int32_t>{0, 1, 2, 0}));
}

TEST(Sampler, LogprobsAreTheLogSoftmaxOfThePenalisedLogits) {
  SamplingParams p;
  p.temperature = 0.3f;  // does not change logprobs
  p.logprobs = true;
  p.top_logprobs = 3;
  p.presence_penalty = 1.0f;
  Sampler s(p, 5);
  s.accept(0);
  std::vector<float> l = halving_logits();
  SampledToken t = s.sample(l, 10);
  std::vector<float> pen = halving_logits();
  pen[0] -= 1.0f;
  double z = 0;
  for (float x : pen) z += std::exp(x);
  EXPECT_NEAR(t.logprob, pen[t.token] - std::log(z), 1e-5);
  ASSERT_EQ(t.top.size(), 3u);
  EXPECT_EQ(t.top[0].token, 1);  // 0 fell behind after its penalty
  EXPECT_NEAR(t.top[0].logprob, pen[1] - std::log(z), 1e-5);
  EXPECT_GE(t.top[0].logprob, t.top[1].logprob);
  EXPECT_GE(t.top[1].logprob, t.top[2].logprob);
}

TEST(Sampler, SameSeedSameDrawsOtherSeedOrChoiceOtherDraws) {
  SamplingParams p;
  p.temperature = 2.0f;
  auto run = [&](uint64_t seed, uint64_t stream) {
    Sampler s(p, seed, stream);
    std::vector<int32_t> out;
    for (int i = 0; i < 64; ++i) {
      std::vector<float> l = halving_logits();
      out.push_back(s.sample(l, 100).token);
    }
    return out;
  };
  EXPECT_EQ(run(42, 0), run(42, 0));
  EXPECT_NE(run(42, 0), run(43, 0));
  EXPECT_NE(run(42, 0), run(42, 1));
  EXPECT_NE(fresh_seed(), fresh_seed());
}

TEST(SamplingParams, OutOfRangeValuesAreRejected) {
  auto bad = [](auto change, const char* param) {
    SamplingParams p;
    change(p);
    try {
      validate(p);
      ADD_FAILURE() << param;
    } catch (const ApiError& e) {
      EXPECT_EQ(e.param(), param);
    }
  };
  bad([](SamplingParams& p) { p.temperature = -1; }, "temperature");
  bad([](SamplingParams& p) { p.temperature = NAN; }, "temperature");
  bad([](SamplingParams& p) { p.top_p = 0; }, "top_p");
  bad([](SamplingParams& p) { p.top_k = -2; }, "top_k");
  bad([](SamplingParams& p) { p.min_p = 1.5f; }, "min_p");
  bad([](SamplingParams& p) { p.presence_penalty = 3; }, "presence_penalty");
  bad([](SamplingParams& p) { p.frequency_penalty = -3; }, "frequency_penalty");
  bad([](SamplingParams& p) { p.repetition_penalty = 0; }, "repetition_penalty");
  bad([](SamplingParams& p) { p.max_tokens = 0; }, "max_tokens");
  bad([](SamplingParams& p) { p.n = 0; }, "n");
  bad([](SamplingParams& p) { p.top_logprobs = 21; }, "top_logprobs");
  bad([](SamplingParams& p) { p.stop = {""}; }, "stop");
  bad(
      [](SamplingParams& p) {
        p.json_mode = true;
        p.max_tokens = 1;
      },
      "max_tokens");
  EXPECT_NO_THROW(validate(SamplingParams{}));
}

}  // namespace
}  // namespace hydra::engine
