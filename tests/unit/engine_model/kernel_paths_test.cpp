// The forward pass on every kernel path this CPU runs (scalar, AVX2,
// AVX-512): logits against the independent reference, greedy tokens, and
// one-token-at-a-time decoding equal to the whole prompt bit for bit; plus
// the paged cache: F16 and Q8_0 KV stores, prefix reuse and copy on write.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

#include "common/error.h"
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

TestModelOptions opts(const char* arch, const char* vocab, GgmlType type, int64_t hidden = 64) {
  TestModelOptions o;
  o.arch = arch;
  o.vocab_path = vocab_file(vocab);
  o.type = type;
  o.hidden = hidden;
  o.seed = 9;
  o.tie_embeddings = 1;
  return o;
}

std::vector<int32_t> prompt_for(const std::string& path) {
  Tokenizer tok(vocab_from_gguf(read_gguf(path)));
  return tok.encode("Kernels on every path give the same answer, token by token.");
}

double max_diff(const std::vector<float>& got, const std::vector<std::vector<double>>& want) {
  double worst = 0;
  const size_t nv = want.at(0).size();
  for (size_t t = 0; t < want.size(); ++t) {
    for (size_t i = 0; i < nv; ++i)
      worst = std::max(worst, std::fabs(got[t * nv + i] - want[t][i]));
  }
  return worst;
}

class PathGuard {
 public:
  explicit PathGuard(KernelPath p) : before_(active_kernel_path()) { set_kernel_path(p); }
  ~PathGuard() { set_kernel_path(before_); }

 private:
  KernelPath before_;
};

struct PathCase {
  const char* name;
  const char* arch;
  const char* vocab;
  GgmlType type;
  int64_t hidden;
};

const PathCase kCases[] = {
    {"llama_f32", "llama", "llama-spm", GgmlType::kF32, 64},
    {"qwen2_f16", "qwen2", "deepseek-coder", GgmlType::kF16, 64},
    {"qwen2_q8_0", "qwen2", "deepseek-coder", GgmlType::kQ8_0, 64},
    {"qwen2_bf16", "qwen2", "deepseek-coder", GgmlType::kBF16, 64},
    {"llama_q4_K", "llama", "llama-spm", GgmlType::kQ4_K, 256},
};

TEST(KernelPaths, EveryPathMatchesReferenceAndIsBatchInvariant) {
  for (const PathCase& c : kCases) {
    const std::string path =
        test_model(std::string("paths_") + c.name, opts(c.arch, c.vocab, c.type, c.hidden));
    auto model = load_model(path);
    ReferenceModel ref(path), ref_bf16(path, true);
    const std::vector<int32_t> prompt = prompt_for(path);
    const auto want_widened = ref.logits(prompt);
    const auto want_bf16 = c.type == GgmlType::kBF16 ? ref_bf16.logits(prompt) : want_widened;
    const auto nv = static_cast<size_t>(model->n_vocab());
    for (KernelPath p : {KernelPath::kScalar, KernelPath::kAvx2, KernelPath::kAvx512,
                         KernelPath::kAvx512Vnni, KernelPath::kAvx512Bf16}) {
      if (!kernel_path_supported(p)) continue;
      PathGuard guard(p);
      const auto& want = kernels().gemm_bf16 != nullptr ? want_bf16 : want_widened;
      const auto t0 = std::chrono::steady_clock::now();
      const std::string label = std::string(c.name) + " on " + std::string(kernel_path_name(p));
      KvCache whole(*model, 64);
      std::vector<float> all;
      decode(*model, whole, prompt, nullptr, &all);
      EXPECT_LT(max_diff(all, want), test::logit_tolerance(c.type, want)) << label;
      KvCache stepwise(*model, 64);
      std::vector<float> logits(nv);
      for (size_t i = 0; i < prompt.size(); ++i) {
        decode(*model, stepwise, std::span<const int32_t>(&prompt[i], 1), logits.data());
        ASSERT_TRUE(std::equal(logits.begin(), logits.end(), all.begin() + i * nv))
            << label << " position " << i;
      }
      std::printf(
          "[ figures ] %s: %.1f ms\n", label.c_str(),
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
  }
}

// Two sequences in one batch give what each gives alone.
TEST(KernelPaths, BatchOfTwoSequencesEqualsEachAlone) {
  const std::string path =
      test_model("paths_qwen2_q8_0", opts("qwen2", "deepseek-coder", GgmlType::kQ8_0));
  auto m = load_model(path);
  const std::vector<int32_t> a = {5, 17, 300, 41, 42}, b = {900, 3, 3};
  const auto nv = static_cast<size_t>(m->n_vocab());
  auto store = std::make_shared<KvBlocks>(*m, 8);
  KvCache ca(store, 32), cb(store, 32);
  std::vector<float> la(nv), lb(nv);
  std::vector<BatchRow> rows;
  for (size_t i = 0; i < a.size(); ++i)
    rows.push_back({&ca, a[i], static_cast<int64_t>(i), i + 1 == a.size() ? la.data() : nullptr});
  for (size_t i = 0; i < b.size(); ++i)
    rows.push_back({&cb, b[i], static_cast<int64_t>(i), i + 1 == b.size() ? lb.data() : nullptr});
  forward_batch(*m, rows);
  std::vector<float> alone(nv);
  KvCache sa(*m, 32), sb(*m, 32);
  decode(*m, sa, a, alone.data());
  EXPECT_EQ(la, alone);
  decode(*m, sb, b, alone.data());
  EXPECT_EQ(lb, alone);
}

// Q8_0 matrices are repacked at load for the tables that read packed
// matrices (AVX2, AVX-512), and only for them; a packed model and one read from
// the file's rows give the same logits bit for bit on the same table.
TEST(KernelPaths, Q8MatricesArePackedForTheTablesThatReadThem) {
  const std::string path =
      test_model("paths_qwen2_q8_0", opts("qwen2", "deepseek-coder", GgmlType::kQ8_0));
  std::unique_ptr<Model> rows_model;
  {
    PathGuard guard(KernelPath::kScalar);
    rows_model = load_model(path);
  }
  EXPECT_EQ(rows_model->layers[0].ffn_up.packed, nullptr);
  const std::vector<int32_t> prompt = prompt_for(path);
  const auto nv = static_cast<size_t>(rows_model->n_vocab());
  for (KernelPath p :
       {KernelPath::kAvx2, KernelPath::kAvx512, KernelPath::kAvx512Vnni, KernelPath::kAvx512Bf16}) {
    if (!kernel_path_supported(p)) continue;
    PathGuard guard(p);
    auto packed = load_model(path);
    for (const LayerWeights& l : packed->layers) {
      for (const Weight* w : {&l.wq, &l.wk, &l.wv, &l.wo, &l.ffn_gate, &l.ffn_up, &l.ffn_down})
        EXPECT_NE(w->packed, nullptr) << kernel_path_name(p);
    }
    EXPECT_NE(packed->output.packed, nullptr);
    EXPECT_EQ(packed->token_embd.packed, packed->output.packed);  // tied: one copy
    std::vector<float> from_rows(nv * prompt.size()), from_packed(from_rows.size());
    KvCache a(*rows_model, 64), b(*packed, 64);
    decode(*rows_model, a, prompt, nullptr, &from_rows);
    decode(*packed, b, prompt, nullptr, &from_packed);
    EXPECT_EQ(from_rows, from_packed) << kernel_path_name(p);
  }
}

// The matrices a token's products stream are moved out of the file mapping
// into the model's own memory (huge pages) at load, on every path; a tied
// embedding is the output's copy, an untied one stays in the file (it is
// only looked up). The logits tests above run on those copies.
TEST(KernelPaths, StreamedMatricesLeaveTheFileMapping) {
  for (const int tied : {1, 0}) {
    TestModelOptions o = opts("qwen2", "deepseek-coder", GgmlType::kF16);
    o.tie_embeddings = tied;
    const std::string path =
        test_model(tied ? "paths_qwen2_f16_tied" : "paths_qwen2_f16_untied", o);
    for (KernelPath p : {KernelPath::kScalar, KernelPath::kAvx2, KernelPath::kAvx512}) {
      if (!kernel_path_supported(p)) continue;
      PathGuard guard(p);
      auto m = load_model(path);
      const auto& file = std::any_cast<const std::shared_ptr<const GgufFile>&>(m->keep_alive);
      const uint8_t* lo = file->mapping->data();
      const uint8_t* hi = lo + file->mapping->size();
      auto in_file = [&](const Weight& w) { return w.data >= lo && w.data < hi; };
      ASSERT_NE(m->resident_weights, nullptr);
      for (const LayerWeights& l : m->layers) {
        for (const Weight* w : {&l.wq, &l.wk, &l.wv, &l.wo, &l.ffn_gate, &l.ffn_up, &l.ffn_down})
          EXPECT_FALSE(in_file(*w)) << kernel_path_name(p);
      }
      EXPECT_FALSE(in_file(m->output)) << kernel_path_name(p);
      EXPECT_EQ(in_file(m->token_embd), !tied) << kernel_path_name(p);
      if (tied) {
        EXPECT_EQ(m->token_embd.data, m->output.data);
      }
    }
  }
}

TEST(KvStore, HalfAndQ8CachesStayCloseToF32) {
  TestModelOptions o = opts("qwen3", "deepseek-coder", GgmlType::kF16);
  o.head_dim = 32;  // Q8_0 rows are whole blocks of 32
  const std::string path = test_model("kv_qwen2_f16", o);
  auto m = load_model(path);
  const std::vector<int32_t> prompt = prompt_for(path);
  const auto nv = static_cast<size_t>(m->n_vocab());
  std::vector<float> base(nv);
  KvCache exact(*m, 64);
  decode(*m, exact, prompt, base.data());
  for (GgmlType t : {GgmlType::kF16, GgmlType::kQ8_0}) {
    KvCache c(std::make_shared<KvBlocks>(*m, 8, t), 64);
    std::vector<float> got(nv);
    decode(*m, c, prompt, got.data());
    double err = 0, norm = 0;
    for (size_t i = 0; i < nv; ++i) {
      err += (got[i] - base[i]) * (got[i] - base[i]);
      norm += base[i] * base[i];
    }
    const double rel = std::sqrt(err / norm);
    EXPECT_LT(rel, t == GgmlType::kF16 ? 2e-3 : 3e-2) << type_name(t);
    EXPECT_GT(rel, 0.0) << type_name(t);  // really stored in the narrower type
    std::printf("[ figures ] KV cache %s: rel. RMS of logits vs f32 cache = %.2g\n",
                std::string(type_name(t)).c_str(), rel);
  }
}

TEST(KvStore, PrefixReuseSkipsCachedBlocksAndGivesTheSameLogits) {
  const std::string path =
      test_model("paths_llama_f32", opts("llama", "llama-spm", GgmlType::kF32));
  auto m = load_model(path);
  auto store = std::make_shared<KvBlocks>(*m, 16, GgmlType::kF32, 4);
  std::vector<int32_t> prompt;
  for (int i = 0; i < 19; ++i) prompt.push_back(100 + i * 7);
  const auto nv = static_cast<size_t>(m->n_vocab());
  std::vector<float> first(nv), second(nv);
  {
    KvCache c(store, 64);
    EXPECT_EQ(c.attach_prefix(prompt), 0);
    decode(*m, c, prompt, first.data());
    c.publish_prefix(prompt);
    EXPECT_EQ(store->stats().used_blocks, 5);
  }
  EXPECT_EQ(store->stats().used_blocks, 0);
  EXPECT_EQ(store->stats().cached_blocks, 4);  // the four full blocks
  KvCache c(store, 64);
  EXPECT_EQ(c.attach_prefix(prompt), 16);
  decode(*m, c, std::span<const int32_t>(prompt).subspan(16), second.data());
  EXPECT_EQ(first, second);
  EXPECT_EQ(store->stats().prefix_hits, 4);
  // A prompt that differs in its second block reuses only the first.
  std::vector<int32_t> other = prompt;
  other[5] = 1;
  KvCache d(store, 64);
  EXPECT_EQ(d.attach_prefix(other), 4);
  // Rewinding into a shared block copies it before writing.
  c.truncate(10);
  const int32_t t = 77;
  decode(*m, c, std::span<const int32_t>(&t, 1), second.data());
  KvCache e(store, 64);
  EXPECT_EQ(e.attach_prefix(prompt), 16);
  std::vector<float> third(nv);
  decode(*m, e, std::span<const int32_t>(prompt).subspan(16), third.data());
  EXPECT_EQ(first, third);
}

TEST(KvStore, FullStoreIsAnErrorAndCachedBlocksAreEvicted) {
  const std::string path =
      test_model("paths_llama_f32", opts("llama", "llama-spm", GgmlType::kF32));
  auto m = load_model(path);
  auto store = std::make_shared<KvBlocks>(*m, 2, GgmlType::kF32, 4);
  std::vector<int32_t> prompt = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  KvCache c(store, 64);
  EXPECT_THROW(decode(*m, c, prompt, nullptr), ApiError);
  EXPECT_THROW(KvBlocks(*m, 0), ApiError);
  std::vector<int32_t> eight = {1, 2, 3, 4, 5, 6, 7, 8};
  auto s2 = std::make_shared<KvBlocks>(*m, 2, GgmlType::kF32, 4);
  {
    KvCache e(s2, 64);
    decode(*m, e, eight, nullptr);
    e.publish_prefix(eight);
  }
  EXPECT_EQ(s2->stats().cached_blocks, 2);
  KvCache f(s2, 64);
  const std::vector<int32_t> fresh = {9, 9, 9, 9, 9};
  decode(*m, f, fresh, nullptr);  // evicts both cached blocks
  EXPECT_EQ(s2->stats().cached_blocks, 0);
}

}  // namespace
}  // namespace hydra::engine
