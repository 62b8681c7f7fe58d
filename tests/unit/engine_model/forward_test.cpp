// The engine's decoder forward pass against the independent reference, for
// every architecture and weight type; quantized models against F32.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/format/gguf.h"
#include "engine/kernels/kernels.h"
#include "engine/model/decoder.h"
#include "engine/model/kv_cache.h"
#include "engine/model/model.h"
#include "engine/tokenizer/gguf_vocab.h"
#include "engine/tokenizer/tokenizer.h"
#include "fixtures.h"
#include "reference.h"

namespace hydra::engine {
namespace {

using test::ReferenceModel;
using test::test_model;
using test::vocab_file;

constexpr char kPrompt[] = "Hello world, this is a test of the engine.";

struct ArchCase {
  const char* name;
  const char* arch;
  const char* vocab;
  int64_t hidden, heads, kv_heads, head_dim;
  float theta, linear_scale;
};

TestModelOptions options_for(const ArchCase& c, GgmlType type = GgmlType::kF32) {
  TestModelOptions o;
  o.arch = c.arch;
  o.vocab_path = vocab_file(c.vocab);
  o.hidden = c.hidden;
  o.heads = c.heads;
  o.kv_heads = c.kv_heads;
  o.head_dim = c.head_dim;
  o.rope_theta = c.theta;
  o.rope_linear_scale = c.linear_scale;
  o.type = type;
  o.seed = 42;
  o.layers = 2;
  return o;
}

std::vector<int32_t> prompt_for(const std::string& model_path, const char* text = kPrompt) {
  Tokenizer tok(vocab_from_gguf(read_gguf(model_path)));
  return tok.encode(text);
}

std::vector<float> engine_logits(const Model& m, const std::vector<int32_t>& tokens) {
  KvCache cache(m, 64);
  std::vector<float> all;
  decode(m, cache, tokens, nullptr, &all);
  return all;
}

std::vector<int32_t> engine_greedy(const Model& m, std::vector<int32_t> tokens, int n_new) {
  KvCache cache(m, 64);
  std::vector<float> logits(static_cast<size_t>(m.n_vocab()));
  std::vector<int32_t> out;
  decode(m, cache, tokens, logits.data());
  for (int i = 0; i < n_new; ++i) {
    const auto best =
        static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    out.push_back(best);
    decode(m, cache, std::span<const int32_t>(&best, 1), logits.data());
  }
  return out;
}

double max_abs_diff(const std::vector<float>& engine, const std::vector<std::vector<double>>& ref) {
  double worst = 0;
  const size_t nv = ref.at(0).size();
  for (size_t t = 0; t < ref.size(); ++t) {
    for (size_t i = 0; i < nv; ++i)
      worst = std::max(worst, std::fabs(engine[t * nv + i] - ref[t][i]));
  }
  return worst;
}

const ArchCase kArchCases[] = {
    {"llama", "llama", "llama-spm", 64, 4, 2, 0, 10000.0f, 0.0f},
    {"llama_rope_scaled", "llama", "phi-3", 64, 4, 1, 0, 500000.0f, 4.0f},
    {"qwen2", "qwen2", "deepseek-coder", 64, 4, 2, 0, 1000000.0f, 0.0f},
    {"qwen3", "qwen3", "starcoder", 64, 4, 2, 32, 1000000.0f, 0.0f},
};

class ArchForward : public ::testing::TestWithParam<ArchCase> {};

TEST_P(ArchForward, LogitsMatchReferenceAndGreedyAgrees) {
  const ArchCase& c = GetParam();
  const std::string path = test_model(c.name, options_for(c));
  auto model = load_model(path);
  ReferenceModel ref(path);
  const std::vector<int32_t> prompt = prompt_for(path);
  ASSERT_GE(prompt.size(), 5u);
  const double diff = max_abs_diff(engine_logits(*model, prompt), ref.logits(prompt));
  EXPECT_LT(diff, 1e-3) << c.name;
  std::printf("[ figures ] %s f32: max |engine - reference| = %.3g over %zu positions x %lld\n",
              c.name, diff, prompt.size(), static_cast<long long>(model->n_vocab()));
  EXPECT_EQ(engine_greedy(*model, prompt, 6), ref.greedy(prompt, 6)) << c.name;
}

INSTANTIATE_TEST_SUITE_P(Archs, ArchForward, ::testing::ValuesIn(kArchCases),
                         [](const auto& info) { return std::string(info.param.name); });

// Error bound of each quantized type: RMS of (quantized - F32) logits over
// the RMS of the F32 logits, same seed and shape. Documented in the README.
struct TypeCase {
  GgmlType type;
  double rel_rms_bound;
};

const TypeCase kTypeCases[] = {
    {GgmlType::kF16, 0.002}, {GgmlType::kBF16, 0.015}, {GgmlType::kQ8_0, 0.03},
    {GgmlType::kQ6_K, 0.1},  {GgmlType::kQ5_1, 0.2},   {GgmlType::kQ5_0, 0.25},
    {GgmlType::kQ4_K, 0.45}, {GgmlType::kQ4_0, 0.45},
};

class TypeForward : public ::testing::TestWithParam<TypeCase> {};

TEST_P(TypeForward, MatchesReferenceAndStaysNearF32) {
  const TypeCase& tc = GetParam();
  const bool k_quant = type_info(tc.type).block_size == 256;
  // K-quant rows are whole super-blocks of 256.
  const ArchCase shape{"", "llama", "llama-spm", k_quant ? 256 : 64, 4, 2, 0, 10000.0f, 0.0f};
  const std::string shape_name = k_quant ? "types256" : "types64";
  const std::string name = shape_name + "_" + std::string(type_name(tc.type));
  TestModelOptions o = options_for(shape, tc.type), o32 = options_for(shape);
  o.tie_embeddings = o32.tie_embeddings = 1;  // one vocabulary-sized matrix keeps it quick
  const std::string path = test_model(name, o);
  const std::string f32_path = test_model(shape_name + "_f32", o32);
  auto model = load_model(path);
  auto f32 = load_model(f32_path);
  ReferenceModel ref(path, kernels().gemm_bf16 != nullptr);
  const std::vector<int32_t> prompt = prompt_for(path, "Hello world");
  const std::vector<float> logits = engine_logits(*model, prompt);
  const auto want = ref.logits(prompt);
  const double diff = max_abs_diff(logits, want);
  EXPECT_LT(diff, test::logit_tolerance(tc.type, want)) << name;
  const std::vector<float> base = engine_logits(*f32, prompt);
  double err = 0, norm = 0;
  for (size_t i = 0; i < base.size(); ++i) {
    err += (logits[i] - base[i]) * (logits[i] - base[i]);
    norm += base[i] * base[i];
  }
  const double rel = std::sqrt(err / norm);
  EXPECT_LT(rel, tc.rel_rms_bound) << name;
  std::printf(
      "[ figures ] %s: max |engine - reference| = %.3g, rel. RMS vs f32 = %.4f (bound %g)\n",
      name.c_str(), diff, rel, tc.rel_rms_bound);
}

INSTANTIATE_TEST_SUITE_P(Types, TypeForward, ::testing::ValuesIn(kTypeCases),
                         [](const auto& info) { return std::string(type_name(info.param.type)); });

}  // namespace
}  // namespace hydra::engine
