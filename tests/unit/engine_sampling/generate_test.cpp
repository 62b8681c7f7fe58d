// Generation over random-weight models with real vocabularies: JSON mode
// always yields valid JSON, stop strings cut across token boundaries,
// seeds reproduce, streamed text equals the final text.
#include "engine/sampling/generate.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>

#include "engine/format/gguf.h"
#include "engine/model/test_model.h"
#include "engine/tokenizer/gguf_vocab.h"

namespace hydra::engine {
namespace {

struct Fixture {
  std::unique_ptr<Model> model;
  std::unique_ptr<Tokenizer> tokenizer;
  std::unique_ptr<TokenBytes> bytes;
};

const Fixture& fixture(const std::string& vocab) {
  static std::map<std::string, Fixture> cache;
  auto it = cache.find(vocab);
  if (it != cache.end()) return it->second;
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("hydra-sampling-" + std::to_string(::getpid())))
          .string();
  std::filesystem::create_directories(dir);
  TestModelOptions o;
  o.vocab_path = std::string(HYDRA_TESTDATA_DIR) + "/vocab/ggml-vocab-" + vocab + ".gguf";
  o.hidden = 32;
  o.heads = 2;
  o.layers = 1;
  o.seed = 99;
  const std::string path = dir + "/" + vocab + ".gguf";
  make_test_model(path, o, TestModelFormat::kGguf);
  Fixture f;
  f.model = load_model(path);
  f.tokenizer = std::make_unique<Tokenizer>(vocab_from_gguf(read_gguf(path)));
  f.bytes = std::make_unique<TokenBytes>(*f.tokenizer);
  std::filesystem::remove_all(dir);  // the mapping stays valid after unlink
  return cache[vocab] = std::move(f);
}

Generation run(const Fixture& f, const std::string& prompt, const SamplingParams& p, uint64_t seed,
               int choice = 0, const std::function<bool(std::string_view)>& on_text = {}) {
  const std::vector<int32_t> ids = f.tokenizer->encode(prompt);
  return generate(*f.model, *f.tokenizer, ids, p, seed, choice, f.bytes.get(), on_text);
}

void expect_json_object(const std::string& text, const std::string& context) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  EXPECT_FALSE(ec) << context << ": " << text;
  EXPECT_TRUE(!ec && v.is_object()) << context << ": " << text;
}

class JsonMode : public ::testing::TestWithParam<const char*> {};

TEST_P(JsonMode, AlwaysYieldsAJsonObject) {
  const Fixture& f = fixture(GetParam());
  int closed_early = 0;
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    SamplingParams p;
    p.json_mode = true;
    p.temperature = seed % 3 == 0 ? 0.0f : 1.0f + 0.2f * static_cast<float>(seed % 4);
    p.top_p = seed % 2 == 0 ? 0.9f : 1.0f;
    p.max_tokens = static_cast<int32_t>(2 + (seed * 7) % 40);
    const Generation g = run(f, "Reply in JSON:", p, seed);
    EXPECT_LE(g.tokens.size(), static_cast<size_t>(p.max_tokens));
    expect_json_object(g.text, std::string(GetParam()) + " seed " + std::to_string(seed));
    closed_early += g.finish_reason == "stop";
    if (seed <= 3)
      std::printf("[ figures ] %s seed %d: %s\n", GetParam(), int(seed), g.text.c_str());
  }
  std::printf("[ figures ] %s: 12/12 parse; %d closed before max_tokens\n", GetParam(),
              closed_early);
  EXPECT_GT(closed_early, 0);
}

INSTANTIATE_TEST_SUITE_P(Vocabs, JsonMode, ::testing::Values("gpt-2", "llama-spm"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) c = c == '-' ? '_' : c;
                           return n;
                         });

TEST(Generate, SeedReproducesAndChoicesDiffer) {
  const Fixture& f = fixture("gpt-2");
  SamplingParams p;
  p.temperature = 1.0f;
  p.max_tokens = 12;
  p.ignore_eos = true;
  const Generation a = run(f, "Once upon a time", p, 5), b = run(f, "Once upon a time", p, 5);
  EXPECT_EQ(a.tokens, b.tokens);
  EXPECT_EQ(a.text, b.text);
  EXPECT_EQ(a.finish_reason, "length");
  EXPECT_EQ(a.tokens.size(), 12u);
  EXPECT_NE(run(f, "Once upon a time", p, 6).tokens, a.tokens);
  EXPECT_NE(run(f, "Once upon a time", p, 5, 1).tokens, a.tokens);
  p.temperature = 0;
  EXPECT_EQ(run(f, "Once upon a time", p, 5).tokens, run(f, "Once upon a time", p, 6).tokens);
}

TEST(Generate, StopStringsCutAcrossTokensAndStreamingMatches) {
  const Fixture& f = fixture("gpt-2");
  SamplingParams p;
  p.temperature = 0;
  p.max_tokens = 16;
  p.ignore_eos = true;
  const Generation full = run(f, "The answer is", p, 1);
  ASSERT_EQ(full.tokens.size(), 16u);
  // A stop string from the end of token 3 into token 5.
  std::string upto3, upto5;
  upto3 = f.tokenizer->decode(std::span<const int32_t>(full.tokens.data(), 3));
  upto5 = f.tokenizer->decode(std::span<const int32_t>(full.tokens.data(), 5));
  ASSERT_GT(upto3.size(), 1u);
  ASSERT_EQ(full.text.compare(0, upto5.size(), upto5), 0);
  const std::string stop = upto5.substr(upto3.size() - 1);
  p.stop = {stop};
  std::string streamed;
  const Generation cut = run(f, "The answer is", p, 1, 0, [&](std::string_view t) {
    streamed += t;
    return true;
  });
  EXPECT_EQ(cut.finish_reason, "stop");
  EXPECT_EQ(cut.text, full.text.substr(0, full.text.find(stop)));
  EXPECT_EQ(streamed, cut.text);
  EXPECT_LE(cut.tokens.size(), 5u);
}

TEST(Generate, StopTokenIdsEndAndCancellationStops) {
  const Fixture& f = fixture("gpt-2");
  SamplingParams p;
  p.temperature = 0;
  p.max_tokens = 10;
  p.ignore_eos = true;
  const Generation full = run(f, "Hi", p, 1);
  p.stop_token_ids = {full.tokens[2]};
  const Generation cut = run(f, "Hi", p, 1);
  EXPECT_EQ(cut.finish_reason, "stop");
  EXPECT_EQ(cut.tokens, std::vector<int32_t>(full.tokens.begin(), full.tokens.begin() + 2));
  p.stop_token_ids.clear();
  int calls = 0;
  const Generation cancelled = run(f, "Hi", p, 1, 0, [&](std::string_view) { return ++calls < 2; });
  EXPECT_EQ(cancelled.finish_reason, "cancelled");
  EXPECT_LT(cancelled.tokens.size(), 10u);
}

TEST(Generate, LogprobsComeWithEveryToken) {
  const Fixture& f = fixture("gpt-2");
  SamplingParams p;
  p.temperature = 0;
  p.max_tokens = 4;
  p.ignore_eos = true;
  p.logprobs = true;
  p.top_logprobs = 2;
  const Generation g = run(f, "Hi", p, 1);
  ASSERT_EQ(g.logprobs.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(g.logprobs[i].token, g.tokens[i]);
    ASSERT_EQ(g.logprobs[i].top.size(), 2u);
    EXPECT_EQ(g.logprobs[i].top[0].token, g.tokens[i]);  // greedy picks the best
    EXPECT_FLOAT_EQ(g.logprobs[i].top[0].logprob, g.logprobs[i].logprob);
    EXPECT_LT(g.logprobs[i].logprob, 0.0f);
  }
}

}  // namespace
}  // namespace hydra::engine
