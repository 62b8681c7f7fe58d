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
