// The BERT encoder against the reference; pooling and normalisation.
#include "engine/model/encoder.h"

#include <gtest/gtest.h>

#include <cmath>

#include "common/error.h"
#include "engine/model/model.h"
#include "fixtures.h"
#include "reference.h"

namespace hydra::engine {
namespace {

TEST(Encoder, HiddenStatesAndPoolingMatchReference) {
  TestModelOptions o;
  o.arch = "bert";
  o.vocab_path = test::vocab_file("bert-bge");
  o.seed = 3;
  o.heads = 4;
  const std::string path = test::test_model("bert_f32", o);
  auto m = load_model(path);
  EXPECT_EQ(m->default_pooling, Pooling::kMean);
  test::ReferenceModel ref(path);
  const std::vector<int32_t> tokens = {101, 7592, 1010, 2088, 999, 102};
  const std::vector<float> hidden = encode_hidden(*m, tokens);
  const auto want = ref.encode(tokens);
  const int64_t n = m->n_embd();
  double worst = 0;
  for (size_t t = 0; t < tokens.size(); ++t) {
    for (int64_t i = 0; i < n; ++i)
      worst = std::max(worst, std::fabs(hidden[t * n + i] - want[t][i]));
  }
  EXPECT_LT(worst, 1e-4);
  std::printf("[ figures ] bert f32: max |engine - reference| hidden = %.3g\n", worst);

  for (Pooling p : {Pooling::kMean, Pooling::kCls}) {
    std::vector<double> expect(n, 0.0);
    for (size_t t = 0; t < (p == Pooling::kCls ? 1 : tokens.size()); ++t) {
      for (int64_t i = 0; i < n; ++i) expect[i] += want[t][i];
    }
    double norm = 0;
    for (double e : expect) norm += e * e;
    norm = std::sqrt(norm);
    const std::vector<float> got = embed(*m, tokens, p);
    double got_norm = 0;
    for (int64_t i = 0; i < n; ++i) {
      EXPECT_NEAR(got[i], expect[i] / norm, 1e-5) << i;
      got_norm += got[i] * got[i];
    }
    EXPECT_NEAR(std::sqrt(got_norm), 1.0, 1e-6);
  }
  // Mean and CLS pooling really differ, and unnormalised mean keeps scale.
  EXPECT_NE(embed(*m, tokens, Pooling::kMean), embed(*m, tokens, Pooling::kCls));
  const std::vector<float> raw = embed(*m, tokens, Pooling::kMean, false);
  double mean0 = 0;
  for (size_t t = 0; t < tokens.size(); ++t) mean0 += want[t][0];
  EXPECT_NEAR(raw[0], mean0 / tokens.size(), 1e-4);
}

TEST(Encoder, RejectsBadInput) {
  TestModelOptions o;
  o.arch = "bert";
  o.vocab_path = test::vocab_file("bert-bge");
  o.context_length = 8;
  auto m = load_model(test::test_model("bert_ctx8", o));
  EXPECT_THROW(embed(*m, std::vector<int32_t>{}), ApiError);
  EXPECT_THROW(embed(*m, std::vector<int32_t>(9, 100)), ApiError);
  EXPECT_THROW(embed(*m, std::vector<int32_t>{101, -1}), ApiError);
  EXPECT_THROW(embed(*m, std::vector<int32_t>{101, 1 << 30}), ApiError);
  EXPECT_EQ(embed(*m, std::vector<int32_t>(8, 100)).size(), static_cast<size_t>(m->n_embd()));
}

}  // namespace
}  // namespace hydra::engine
