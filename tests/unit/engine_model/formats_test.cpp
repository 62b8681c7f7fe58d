// The same test model as GGUF and as a Hugging Face directory gives the same
// logits; the KV cache gives what a full recompute gives; the written
// tokenizer.json tokenizes like the GGUF vocabulary it came from.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "engine/format/gguf.h"
#include "engine/model/decoder.h"
#include "engine/model/encoder.h"
#include "engine/model/kv_cache.h"
#include "engine/model/model.h"
#include "engine/model/tokenizer_json_writer.h"
#include "engine/tokenizer/gguf_vocab.h"
#include "engine/tokenizer/hf_vocab.h"
#include "engine/tokenizer/tokenizer.h"
#include "fixtures.h"

namespace hydra::engine {
namespace {

using test::test_model;
using test::vocab_file;

TestModelOptions small(const char* arch, const char* vocab, GgmlType type) {
  TestModelOptions o;
  o.arch = arch;
  o.vocab_path = vocab_file(vocab);
  o.type = type;
  o.seed = 7;
  if (std::string(arch) == "qwen3") o.head_dim = 32;
  return o;
}

std::vector<float> all_logits(const Model& m, const std::vector<int32_t>& tokens) {
  KvCache cache(m, 32);
  std::vector<float> out;
  decode(m, cache, tokens, nullptr, &out);
  return out;
}

struct FormCase {
  const char* arch;
  const char* vocab;
  GgmlType type;
};

class SameModelBothForms : public ::testing::TestWithParam<FormCase> {};

TEST_P(SameModelBothForms, GiveIdenticalLogits) {
  const FormCase& c = GetParam();
  const std::string name = std::string("forms_") + c.arch + "_" + std::string(type_name(c.type));
  const TestModelOptions o = small(c.arch, c.vocab, c.type);
  auto gguf = load_model(test_model(name, o, TestModelFormat::kGguf));
  auto hf = load_model(test_model(name, o, TestModelFormat::kSafetensors));
  EXPECT_EQ(gguf->source, "gguf");
  EXPECT_EQ(hf->source, "safetensors");
  EXPECT_EQ(gguf->token_embd.type, c.type);
  EXPECT_EQ(hf->token_embd.type, c.type);
  const std::vector<int32_t> tokens = {1, 400, 29, 3000, 17, 5, 999, 12};
  const std::vector<float> a = all_logits(*gguf, tokens), b = all_logits(*hf, tokens);
  ASSERT_EQ(a.size(), b.size());
  size_t differing = 0;
  for (size_t i = 0; i < a.size(); ++i) differing += a[i] != b[i];
  EXPECT_EQ(differing, 0u) << "of " << a.size();
}

INSTANTIATE_TEST_SUITE_P(Forms, SameModelBothForms,
                         ::testing::Values(FormCase{"llama", "llama-spm", GgmlType::kF32},
                                           FormCase{"llama", "llama-spm", GgmlType::kF16},
                                           FormCase{"qwen2", "deepseek-coder", GgmlType::kBF16},
                                           FormCase{"qwen3", "deepseek-coder", GgmlType::kF32}),
                         [](const auto& info) {
                           return std::string(info.param.arch) + "_" +
                                  std::string(type_name(info.param.type));
                         });

TEST(SameModelBothForms, BertEmbeddingsAreIdentical) {
  const TestModelOptions o = small("bert", "bert-bge", GgmlType::kF16);
  auto gguf = load_model(test_model("forms_bert", o, TestModelFormat::kGguf));
  auto hf = load_model(test_model("forms_bert", o, TestModelFormat::kSafetensors));
  const std::vector<int32_t> tokens = {101, 7592, 2088, 102};
  EXPECT_EQ(embed(*gguf, tokens, Pooling::kMean), embed(*hf, tokens, Pooling::kMean));
  EXPECT_EQ(embed(*gguf, tokens, Pooling::kCls), embed(*hf, tokens, Pooling::kCls));
}

TEST(KvCache, IncrementalDecodeEqualsFullRecompute) {
  auto m = load_model(test_model("cache_qwen2", small("qwen2", "deepseek-coder", GgmlType::kQ8_0)));
  const std::vector<int32_t> tokens = {100, 2000, 31, 7, 8, 9000, 42, 43, 44, 1000};
  const std::vector<float> full = all_logits(*m, tokens);
  const auto nv = static_cast<size_t>(m->n_vocab());
  // One token per call, then a prompt chunk followed by single tokens.
  KvCache one_by_one(*m, 32);
  std::vector<float> logits(nv);
  for (size_t i = 0; i < tokens.size(); ++i) {
    decode(*m, one_by_one, std::span<const int32_t>(&tokens[i], 1), logits.data());
    ASSERT_TRUE(std::equal(logits.begin(), logits.end(), full.begin() + i * nv))
        << "position " << i;
  }
  KvCache chunked(*m, 32);
  decode(*m, chunked, std::span<const int32_t>(tokens.data(), 6), logits.data());
  EXPECT_TRUE(std::equal(logits.begin(), logits.end(), full.begin() + 5 * nv));
  // Rewinding the cache and taking another path, then coming back.
  chunked.truncate(3);
  const int32_t other = 555;
  decode(*m, chunked, std::span<const int32_t>(&other, 1), logits.data());
  EXPECT_FALSE(std::equal(logits.begin(), logits.end(), full.begin() + 3 * nv));
  chunked.truncate(3);
  decode(*m, chunked, std::span<const int32_t>(tokens.data() + 3, 7), logits.data());
  EXPECT_TRUE(std::equal(logits.begin(), logits.end(), full.begin() + 9 * nv));
}

std::vector<std::string> vocab_inputs(const std::string& name) {
  std::ifstream f(vocab_file(name) + ".inp", std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string all = ss.str(), sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> out;
  size_t at = 0;
  while (true) {
    size_t next = all.find(sep, at);
    if (next == std::string::npos) break;
    out.push_back(all.substr(at, next - at));
    at = next + sep.size();
  }
  return out;
}

class TokenizerJsonWriter : public ::testing::TestWithParam<const char*> {};

TEST_P(TokenizerJsonWriter, WrittenFileTokenizesLikeTheGgufVocabulary) {
  const std::string name = GetParam();
  Tokenizer gguf(vocab_from_gguf(read_gguf(vocab_file(name))));
  Tokenizer hf(vocab_from_tokenizer_json(tokenizer_json_from_vocab(gguf.vocab())));
  EXPECT_EQ(hf.kind(), gguf.kind());
  EXPECT_EQ(hf.pre_tokenizer(), gguf.pre_tokenizer());
  const std::vector<std::string> inputs = vocab_inputs(name);
  ASSERT_GT(inputs.size(), 10u);
  size_t mismatches = 0;
  for (const std::string& text : inputs) {
    const bool same =
        hf.encode(text, {.add_special = false}) == gguf.encode(text, {.add_special = false}) &&
        hf.encode(text) == gguf.encode(text);
    mismatches += !same;
    EXPECT_TRUE(same) << name << ": " << text;
    if (mismatches > 3) break;
  }
}

INSTANTIATE_TEST_SUITE_P(Vocabs, TokenizerJsonWriter,
                         ::testing::Values("gpt-2", "deepseek-coder", "deepseek-llm", "falcon",
                                           "starcoder", "llama-spm", "phi-3", "bert-bge"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n) ch = ch == '-' ? '_' : ch;
                           return n;
                         });

}  // namespace
}  // namespace hydra::engine
