// The decode loop: a request gives the same tokens alone, through
// generate(), and in a batch with others; cancelled requests leave the
// batch; a full queue refuses with SERVER_BUSY.
#include "engine/runtime/runtime.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "common/error.h"
#include "engine/model/test_model.h"
#include "engine/sampling/generate.h"

namespace hydra::engine {
namespace {

using namespace std::chrono_literals;

const LoadedModel& tiny_model() {
  static std::unique_ptr<LoadedModel> lm = [] {
    const auto dir =
        std::filesystem::temp_directory_path() / ("hydra-runtime-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    TestModelOptions o;
    o.arch = "qwen2";
    o.vocab_path = std::string(HYDRA_TESTDATA_DIR) + "/vocab/ggml-vocab-gpt-2.gguf";
    o.hidden = 32;
    o.heads = 2;
    o.layers = 1;
    o.seed = 7;
    const std::string path = (dir / "tiny.gguf").string();
    make_test_model(path, o, TestModelFormat::kGguf);
    auto m = load_for_serving(path, 512);
    std::filesystem::remove_all(dir);
    return m;
  }();
  return *lm;
}

// Collects events; wait() blocks until every choice finished.
class Collector : public EventSink {
 public:
  explicit Collector(int n)
      : n_(n), texts_(static_cast<size_t>(n)), tokens_(static_cast<size_t>(n)) {}
  void deliver(TokenEvent ev) override {
    std::lock_guard lk(mu_);
    auto c = static_cast<size_t>(ev.choice);
    texts_[c] += ev.text;
    if (ev.token >= 0) tokens_[c].push_back(ev.token);
    if (ev.finished) {
      reasons_[ev.choice] = ev.finish_reason;
      ++finished_;
      cv_.notify_all();
    }
    ++events_;
  }
  bool wait(std::chrono::milliseconds limit = 20s) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, limit, [&] { return finished_ == n_; });
  }
  std::string text(int c) {
    std::lock_guard lk(mu_);
    return texts_[static_cast<size_t>(c)];
  }
  std::vector<int32_t> tokens(int c) {
    std::lock_guard lk(mu_);
    return tokens_[static_cast<size_t>(c)];
  }
  std::string reason(int c) {
    std::lock_guard lk(mu_);
    return reasons_[c];
  }
  int events() {
    std::lock_guard lk(mu_);
    return events_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int n_;
  int finished_ = 0;
  int events_ = 0;
  std::vector<std::string> texts_;
  std::vector<std::vector<int32_t>> tokens_;
  std::map<int, std::string> reasons_;
};

GenerationRequest request(const std::string& prompt, int max_tokens, float temperature = 0,
                          uint64_t seed = 1) {
  GenerationRequest r;
  r.prompt = tiny_model().tokenizer->encode(prompt);
  r.params.max_tokens = max_tokens;
  r.params.temperature = temperature;
  r.params.ignore_eos = true;
  r.seed = seed;
  return r;
}

RuntimeOptions limits(int running, int waiting) {
  RuntimeOptions o;
  o.max_running = running;
  o.max_waiting = waiting;
  return o;
}

TEST(Runtime, MatchesGenerateAloneAndInABatch) {
  const LoadedModel& lm = tiny_model();
  Runtime rt(lm, limits(8, 16));
  const std::vector<std::string> prompts = {"Hello there", "The quick brown fox", "1 2 3 4",
                                            "Once upon a time"};
  std::vector<std::shared_ptr<Collector>> sinks;
  std::vector<std::unique_ptr<RequestHandle>> handles;
  for (size_t i = 0; i < prompts.size(); ++i) {
    auto sink = std::make_shared<Collector>(1);
    // Alternate greedy and seeded sampling: both must match generate().
    handles.push_back(rt.submit(
        request(prompts[i], 12 + static_cast<int>(i), i % 2 ? 0.8f : 0.0f, 40 + i), sink));
    sinks.push_back(sink);
  }
  for (size_t i = 0; i < prompts.size(); ++i) {
    ASSERT_TRUE(sinks[i]->wait());
    GenerationRequest r =
        request(prompts[i], 12 + static_cast<int>(i), i % 2 ? 0.8f : 0.0f, 40 + i);
    const Generation g =
        generate(*lm.model, *lm.tokenizer, r.prompt, r.params, r.seed, 0, lm.token_bytes.get());
    EXPECT_EQ(sinks[i]->tokens(0), g.tokens) << prompts[i];
    EXPECT_EQ(sinks[i]->text(0), g.text) << prompts[i];
    EXPECT_EQ(sinks[i]->reason(0), "length");
  }
  EXPECT_GE(rt.stats().max_batch_seen, 2) << "requests submitted together must share steps";
  EXPECT_EQ(rt.stats().running_requests, 0);
}

TEST(Runtime, ChoicesDrawFromTheirOwnStreams) {
  const LoadedModel& lm = tiny_model();
  Runtime rt(lm, {});
  GenerationRequest r = request("Pick a word:", 10, 1.5f, 5);
  r.params.n = 3;
  auto sink = std::make_shared<Collector>(3);
  auto h = rt.submit(r, sink);
  ASSERT_TRUE(sink->wait());
  for (int c = 0; c < 3; ++c) {
    const Generation g =
        generate(*lm.model, *lm.tokenizer, r.prompt, r.params, r.seed, c, lm.token_bytes.get());
    EXPECT_EQ(sink->tokens(c), g.tokens) << "choice " << c;
  }
  EXPECT_NE(sink->tokens(0), sink->tokens(1));
}

TEST(Runtime, CancelledRequestLeavesTheBatch) {
  const LoadedModel& lm = tiny_model();
  Runtime rt(lm, limits(2, 4));
  auto sink = std::make_shared<Collector>(1);
  auto h = rt.submit(request("Go on forever", 400), sink);
  std::this_thread::sleep_for(20ms);
  h.reset();  // the caller went away
  ASSERT_TRUE(sink->wait());
  EXPECT_EQ(sink->reason(0), "cancelled");
  EXPECT_LT(sink->tokens(0).size(), 400u);
  for (int i = 0; i < 100 && rt.stats().running_sequences != 0; ++i)
    std::this_thread::sleep_for(5ms);
  EXPECT_EQ(rt.stats().running_sequences, 0);
  EXPECT_EQ(rt.stats().running_requests, 0);
  // The slot is free again: a new request runs to completion.
  auto sink2 = std::make_shared<Collector>(1);
  auto h2 = rt.submit(request("Again", 5), sink2);
  ASSERT_TRUE(sink2->wait());
  EXPECT_EQ(sink2->reason(0), "length");
}

TEST(Runtime, FullQueueIsServerBusyAndBadRequestsAreParamErrors) {
  const LoadedModel& lm = tiny_model();
  Runtime rt(lm, limits(1, 1));
  std::vector<std::unique_ptr<RequestHandle>> keep;
  auto s1 = std::make_shared<Collector>(1);
  auto s2 = std::make_shared<Collector>(1);
  keep.push_back(rt.submit(request("first", 400), s1));
  for (int i = 0; i < 200 && rt.stats().running_requests == 0; ++i)
    std::this_thread::sleep_for(2ms);
  keep.push_back(rt.submit(request("second", 400), s2));
  try {
    rt.submit(request("third", 4), std::make_shared<Collector>(1));
    FAIL() << "a full queue must refuse";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.http_status(), 503);
  }
  GenerationRequest too_long = request("x", 600);
  EXPECT_THROW(rt.submit(too_long, std::make_shared<Collector>(1)), ApiError);
  GenerationRequest bad_id = request("x", 4);
  bad_id.prompt.push_back(1 << 30);
  EXPECT_THROW(rt.submit(bad_id, std::make_shared<Collector>(1)), ApiError);
  GenerationRequest empty = request("", 4);
  empty.prompt.clear();
  EXPECT_THROW(rt.submit(empty, std::make_shared<Collector>(1)), ApiError);
  keep.clear();
  ASSERT_TRUE(s1->wait());
  ASSERT_TRUE(s2->wait());
  EXPECT_EQ(s2->reason(0), "cancelled");
}

}  // namespace
}  // namespace hydra::engine

namespace hydra::engine {
namespace {

std::vector<int32_t> long_prompt(int n, int salt) {
  std::vector<int32_t> p;
  for (int i = 0; i < n; ++i) p.push_back(300 + (i * 37 + salt) % 20000);
  return p;
}

GenerationRequest raw_request(std::vector<int32_t> prompt, int max_tokens) {
  GenerationRequest r;
  r.prompt = std::move(prompt);
  r.params.max_tokens = max_tokens;
  r.params.temperature = 0;
  r.params.ignore_eos = true;
  r.seed = 3;
  return r;
}

// Prompts are split into chunks of the token budget, decoding streams keep
// going meanwhile, and the tokens are those of generate().
TEST(Batching, ChunkedPrefillMatchesGenerateAndStreamsKeepRunning) {
  const LoadedModel& lm = tiny_model();
  RuntimeOptions o = limits(4, 8);
  o.max_batch_tokens = 16;
  o.prefix_caching = false;
  Runtime rt(lm, o);
  auto early = std::make_shared<Collector>(1);
  auto h1 = rt.submit(raw_request(long_prompt(5, 1), 40), early);
  auto late = std::make_shared<Collector>(1);
  for (int i = 0; i < 200 && early->events() < 2; ++i) std::this_thread::sleep_for(1ms);
  const int64_t steps_before = rt.stats().steps;
  auto h2 = rt.submit(raw_request(long_prompt(100, 2), 6), late);
  ASSERT_TRUE(early->wait());
  ASSERT_TRUE(late->wait());
  for (auto [sink, prompt, n] :
       {std::tuple{early, long_prompt(5, 1), 40}, std::tuple{late, long_prompt(100, 2), 6}}) {
    GenerationRequest r = raw_request(prompt, n);
    const Generation g =
        generate(*lm.model, *lm.tokenizer, r.prompt, r.params, r.seed, 0, lm.token_bytes.get());
    EXPECT_EQ(sink->tokens(0), g.tokens);
  }
  // 100 prompt tokens at 16 rows per step (one of them the running stream's):
  // at least 7 steps, and the early request was never stalled.
  EXPECT_GE(rt.stats().steps - steps_before, 7);
  EXPECT_EQ(rt.stats().prefill_tokens, 105);
}

TEST(Batching, SharedPromptPrefixIsComputedOnce) {
  const LoadedModel& lm = tiny_model();
  Runtime rt(lm, limits(4, 8));
  const std::vector<int32_t> system = long_prompt(64, 5);
  auto with_tail = [&](int salt) {
    std::vector<int32_t> p = system;
    for (int i = 0; i < 5; ++i) p.push_back(1000 + salt * 10 + i);
    return p;
  };
  auto first = std::make_shared<Collector>(1);
  auto h1 = rt.submit(raw_request(with_tail(1), 4), first);
  ASSERT_TRUE(first->wait());
  EXPECT_EQ(rt.stats().prefill_tokens, 69);
  auto second = std::make_shared<Collector>(1);
  auto h2 = rt.submit(raw_request(with_tail(2), 4), second);
  ASSERT_TRUE(second->wait());
  // The 64-token prefix is four full blocks: only the 5 tail tokens ran.
  EXPECT_EQ(rt.stats().prefill_tokens, 69 + 5);
  EXPECT_EQ(rt.stats().prefix_hits, 4);
  GenerationRequest r = raw_request(with_tail(2), 4);
  const Generation g =
      generate(*lm.model, *lm.tokenizer, r.prompt, r.params, r.seed, 0, lm.token_bytes.get());
  EXPECT_EQ(second->tokens(0), g.tokens);
  EXPECT_EQ(rt.stats().kv_blocks_used, 0);  // all returned (the prefix stays cached)
}

TEST(Batching, KvMemoryLimitQueuesAndRefuses) {
  const LoadedModel& lm = tiny_model();
  RuntimeOptions o = limits(4, 8);
  o.kv_type = GgmlType::kF16;
  // Room for 8 blocks of 16 positions: one request of 100 positions at a time.
  o.kv_cache_bytes = static_cast<int64_t>(
      8 * KvBlocks::bytes_per_block(*lm.model, GgmlType::kF16, KvBlocks::kDefaultBlockSize));
  Runtime rt(lm, o);
  EXPECT_EQ(rt.stats().kv_blocks_total, 8);
  EXPECT_THROW(rt.submit(raw_request(long_prompt(100, 1), 40), std::make_shared<Collector>(1)),
               ApiError);
  auto a = std::make_shared<Collector>(1), b = std::make_shared<Collector>(1);
  auto ha = rt.submit(raw_request(long_prompt(60, 1), 30), a);
  auto hb = rt.submit(raw_request(long_prompt(60, 2), 30), b);
  ASSERT_TRUE(a->wait());
  ASSERT_TRUE(b->wait());
  EXPECT_EQ(a->tokens(0).size(), 30u);
  EXPECT_EQ(b->tokens(0).size(), 30u);
  EXPECT_EQ(rt.stats().max_batch_seen, 1) << "the second waited for the first's blocks";
}

}  // namespace
}  // namespace hydra::engine
