// "Billing is exact": 1,000 mixed streamed and whole requests through a
// real `hydra serve` to the fake upstream, one in ten streams abandoned by
// its client mid-stream. Every usage record must equal what the upstream
// reports it generated for that request id, token for token.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <thread>

#include "api_helpers.h"
#include "fake_upstream_process.h"
#include "hydra_process.h"

namespace hydra::itest {
namespace {

constexpr int kRequests = 1000;
constexpr int kThreads = 8;

struct Sent {
  bool stream = false;
  bool aborted = false;  // the client walked away
  int status = 0;
};

std::string body_for(int i, bool stream) {
  // Prompts of different lengths: the fake counts one token per word.
  std::string words;
  for (int w = 0; w <= i % 13; ++w) words += "word" + std::to_string(w) + " ";
  bool chat = i % 3 != 0;
  bool aborted = stream && i % 10 == 0;
  int max_tokens = aborted ? 300 : 5 + i % 37;
  bj::object b{{"model", "public/billing"}, {"max_tokens", max_tokens}, {"stream", stream}};
  if (chat) {
    b["messages"] = bj::array{bj::object{{"role", "user"}, {"content", words}}};
  } else {
    b["prompt"] = words;
  }
  if (stream && i % 4 == 2) {
    b["stream_options"] = bj::object{{"include_usage", true}};  // the client's own request
  }
  return bj::serialize(b);
}

std::string path_for(int i) {
  return i % 3 != 0 ? "/v1/chat/completions" : "/v1/completions";
}

TEST(Billing, UsageRecordsEqualWhatTheUpstreamGeneratedRequestByRequest) {
  FakeUpstreamProcess up({"--interval-ms", "2", "--threads", "2"});
  HydraProcess hydra;
  hydra.start();
  Api api(hydra.url());
  std::string admin = api.login("admin", kAdminPassword);
  api.expect(201, "POST", "/api/v1/maas-models",
             bj::object{{"id", "billing"},
                        {"enabled", true},
                        {"endpoints", bj::array{bj::object{{"base_url", up.base_url()},
                                                           {"model", "fake-model"},
                                                           {"continuous_usage", true}}}}},
             admin);
  std::string key = str_of(
      api.expect(201, "POST", "/api/v1/api-keys", bj::object{{"name", "billing"}}, admin), "key");
  // The route table follows the store within one poll.
  for (int i = 0; i < 100; ++i) {
    auto r = api.call("POST", "/v1/chat/completions", body_for(1, false), key,
                      {{"x-request-id", "warm-" + std::to_string(i)}});
    if (r.status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  std::vector<Sent> sent(kRequests);
  std::atomic<int> next{0};
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      Api client(hydra.url());
      for (int i = next++; i < kRequests; i = next++) {
        Sent& s = sent[static_cast<size_t>(i)];
        s.stream = i % 2 == 0;
        s.aborted = s.stream && i % 10 == 0;
        std::string rid = "bill-" + std::to_string(i);
        if (s.stream) {
          StreamResult r = post_stream(hydra.port(), path_for(i), key, rid, body_for(i, true),
                                       s.aborted ? 4 : 0, 30000);
          s.status = r.status;
          EXPECT_FALSE(r.timed_out) << rid;
          if (!s.aborted) {
            EXPECT_TRUE(r.done) << rid << r.body;
          }
        } else {
          s.status =
              client.call("POST", path_for(i), body_for(i, false), key, {{"x-request-id", rid}})
                  .status;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (int i = 0; i < kRequests; ++i) ASSERT_EQ(sent[static_cast<size_t>(i)].status, 200) << i;

  // Usage records are written in batches off the request path.
  std::map<std::string, bj::value> records;
  for (int tries = 0; tries < 100; ++tries) {
    records.clear();
    for (auto& item : api.all_items("/api/v1/usage", admin)) {
      std::string rid = str_of(item, "request_id");
      if (rid.rfind("bill-", 0) == 0) records[rid] = item;
    }
    if (records.size() >= static_cast<size_t>(kRequests)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(records.size(), static_cast<size_t>(kRequests));

  std::map<std::string, bj::value> ledger;
  bj::value generated = up.ledger();
  for (auto& e : generated.at("requests").as_array()) ledger[str_of(e, "request_id")] = e;

  int mismatches = 0, aborted_seen = 0;
  int64_t billed_prompt = 0, billed_completion = 0, made_prompt = 0, made_completion = 0;
  for (int i = 0; i < kRequests; ++i) {
    std::string rid = "bill-" + std::to_string(i);
    const Sent& s = sent[static_cast<size_t>(i)];
    ASSERT_TRUE(ledger.count(rid)) << rid;
    const bj::value& rec = records[rid];
    const bj::value& gen = ledger[rid];
    int64_t rp = rec.at("prompt_tokens").to_number<int64_t>();
    int64_t rc = rec.at("completion_tokens").to_number<int64_t>();
    int64_t gp = gen.at("prompt_tokens").to_number<int64_t>();
    int64_t gc = gen.at("completion_tokens").to_number<int64_t>();
    billed_prompt += rp;
    billed_completion += rc;
    made_prompt += gp;
    made_completion += gc;
    if (rp != gp || rc != gc) {
      ++mismatches;
      ADD_FAILURE() << rid << (s.stream ? " stream" : " whole") << (s.aborted ? " aborted" : "")
                    << ": billed " << rp << "+" << rc << ", generated " << gp << "+" << gc;
    }
    if (s.aborted) {
      EXPECT_EQ(rec.at("status").to_number<int64_t>(), 499) << rid;
      EXPECT_TRUE(gen.at("aborted").as_bool()) << rid << " ran to the end: not mid-stream";
      EXPECT_LT(gc, 300) << rid;
      EXPECT_GE(rc, 3) << rid;  // at least the tokens the client saw
      ++aborted_seen;
    } else {
      EXPECT_EQ(rec.at("status").to_number<int64_t>(), 200) << rid;
      EXPECT_FALSE(gen.at("aborted").as_bool()) << rid;
    }
  }
  EXPECT_EQ(aborted_seen, kRequests / 10);
  EXPECT_EQ(billed_prompt, made_prompt);
  EXPECT_EQ(billed_completion, made_completion);
  std::cout << "billing: " << mismatches << " mismatches of " << kRequests << " requests ("
            << aborted_seen << " aborted mid-stream) in " << load_s << " s; billed "
            << billed_prompt << "+" << billed_completion << " tokens, generated " << made_prompt
            << "+" << made_completion << "\n";

  // The aggregates agree with the records.
  bj::value q =
      api.expect(200, "GET", "/api/v1/usage?model=public/billing&status=aborted", nullptr, admin);
  EXPECT_EQ(q.at("totals").at("calls").to_number<int64_t>(), kRequests / 10);
  EXPECT_EQ(q.at("totals").at("aborted").to_number<int64_t>(), kRequests / 10);
}

}  // namespace
}  // namespace hydra::itest
