// The admitter over a real SQLite store: rules and quotas from the tables
// (and MaaS models' own limits), the 429 answers with their codes and
// headers, quotas persisted across admitter instances, and the cost of the
// hot path per request.
#include "limits/admitter.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "common/clock.h"
#include "common/error.h"
#include "common/random.h"
#include "limits/local_limiter.h"
#include "limits/quota_store.h"
#include "limits/redis_limiter.h"
#include "limits/rule_store.h"
#include "store/store.h"

namespace hydra::limits {
namespace {

namespace bj = boost::json;

std::optional<http::Response> admit(Admitter& ad, Admission& a, Subject s, Estimate e) {
  boost::asio::io_context io;
  std::optional<http::Response> out;
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { out = co_await ad.admit(a, s, e); },
      boost::asio::detached);
  io.run();
  return out;
}

std::string header(const http::Response& r, std::string_view name) {
  const std::string* h = r.header(name);
  return h ? *h : "";
}

std::string code_of(const http::Response& r) {
  return std::string(bj::parse(r.body).at("error").at("code").as_string());
}

class AdmitterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("hydra-limits-" + random_hex(8));
    std::filesystem::create_directories(dir_);
    st_ = store::open_store("sqlite:" + (dir_ / "hydra.db").string());
    st_->migrate();
  }
  void TearDown() override {
    st_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string add_rule(LimitRule r) {
    std::string id;
    st_->transact([&](store::Session& s) { id = insert_rule(s, r).id; });
    return id;
  }
  std::string add_quota(Quota q) {
    std::string id;
    st_->transact([&](store::Session& s) { id = insert_quota(s, q).id; });
    return id;
  }
  static LimitRule rule(Scope scope, Metric m, int64_t limit, int64_t window_s) {
    LimitRule r;
    r.scope = scope;
    r.metric = m;
    r.limit = limit;
    r.window_seconds = window_s;
    return r;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> st_;
  http::Metrics metrics_;
  Subject who_{"ws1", "key1", "user1", "public/m"};
};

TEST_F(AdmitterTest, RefusesWithTheCodeAndHeadersOfTheRuleThatIsFull) {
  LimitRule per_key = rule(Scope::kKey, Metric::kRequests, 2, 60);
  per_key.key_id = "key1";
  add_rule(per_key);
  add_rule(rule(Scope::kModel, Metric::kTokens, 1000, 60));  // each model separately
  Admitter ad(*st_, metrics_);
  ASSERT_TRUE(ad.refresh());
  EXPECT_FALSE(ad.refresh()) << "nothing changed";

  Admission a1, a2, a3;
  ASSERT_FALSE(admit(ad, a1, who_, Estimate{300, 0}));
  http::Headers h;
  a1.add_headers(h);
  http::Response shown;
  shown.headers = h;
  EXPECT_EQ(header(shown, "x-ratelimit-limit-requests"), "2");
  EXPECT_EQ(header(shown, "x-ratelimit-remaining-requests"), "1");
  EXPECT_EQ(header(shown, "x-ratelimit-limit-tokens"), "1000");
  EXPECT_EQ(header(shown, "x-ratelimit-remaining-tokens"), "700");
  EXPECT_FALSE(header(shown, "x-ratelimit-reset-requests").empty());

  ASSERT_FALSE(admit(ad, a2, who_, Estimate{300, 0}));
  auto refused = admit(ad, a3, who_, Estimate{300, 0});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
  EXPECT_EQ(code_of(*refused), "700001");
  EXPECT_EQ(header(*refused, "x-ratelimit-remaining-requests"), "0");
  int retry = std::stoi(header(*refused, "retry-after"));
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, 60);
  EXPECT_EQ(a3.refusal_code(), 700001);

  // Another key on the same model: its own key counter, the model's tokens.
  Subject other{"ws1", "key2", "user2", "public/m"};
  Admission b1, b2;
  ASSERT_FALSE(admit(ad, b1, other, Estimate{300, 0}));
  auto tpm = admit(ad, b2, other, Estimate{300, 0});
  ASSERT_TRUE(tpm);
  EXPECT_EQ(code_of(*tpm), "700005") << "model tokens: 3 x 300 reserved + 300 > 1000";
  // Settling to the real count frees the rest of a reservation.
  ad.settle(a1, 12, 0);
  ad.settle(a2, 12, 0);
  Admission b3;
  EXPECT_FALSE(admit(ad, b3, other, Estimate{300, 0}));
  EXPECT_NE(metrics_.render().find("hydra_gateway_limit_rejections_total{model=\"public/m\","
                                   "metric=\"requests\"} 1"),
            std::string::npos)
      << metrics_.render();
}

TEST_F(AdmitterTest, ConcurrencySlotsComeBackWhenARequestIsTornDown) {
  LimitRule conc = rule(Scope::kKeyModel, Metric::kConcurrency, 1, 0);
  add_rule(conc);
  Admitter ad(*st_, metrics_);
  ad.refresh();
  {
    Admission held;
    ASSERT_FALSE(admit(ad, held, who_, Estimate{}));
    Admission second;
    auto refused = admit(ad, second, who_, Estimate{});
    ASSERT_TRUE(refused);
    EXPECT_EQ(code_of(*refused), "700008");
  }  // `held` destroyed without settle: the slot is freed anyway
  Admission again;
  EXPECT_FALSE(admit(ad, again, who_, Estimate{}));
  ad.settle(again, 0, 0);
}

TEST_F(AdmitterTest, ImageLimitsCountOnlyImageRequests) {
  add_rule(rule(Scope::kModel, Metric::kImages, 3, 60));
  Admitter ad(*st_, metrics_);
  ad.refresh();
  Admission chat, two, more;
  EXPECT_FALSE(admit(ad, chat, who_, Estimate{50, 0}));
  EXPECT_FALSE(admit(ad, two, who_, Estimate{0, 2}));
  auto refused = admit(ad, more, who_, Estimate{0, 2});
  ASSERT_TRUE(refused);
  EXPECT_EQ(code_of(*refused), "700007");
}

TEST_F(AdmitterTest, MaasModelRateLimitsApplyToTheirRoute) {
  st_->exec(
      "INSERT INTO maas_models (id, rate_limits, enabled, created_at, updated_at) VALUES "
      "('m', '[{\"metric\":\"requests\",\"limit\":1,\"window_seconds\":60}]', 1, 0, 0)");
  Admitter ad(*st_, metrics_);
  ad.refresh();
  Admission a, b, elsewhere;
  EXPECT_FALSE(admit(ad, a, who_, Estimate{}));
  auto refused = admit(ad, b, who_, Estimate{});
  ASSERT_TRUE(refused);
  EXPECT_EQ(code_of(*refused), "700004");
  Subject other_model{"ws1", "key1", "user1", "public/other"};
  EXPECT_FALSE(admit(ad, elsewhere, other_model, Estimate{}));
}

TEST_F(AdmitterTest, FreeTrialQuotaIsUsedUpAndStaysUsedUpAcrossRestarts) {
  Quota trial;
  trial.scope = QuotaScope::kUserModel;
  trial.budget = 100;
  std::string qid = add_quota(trial);
  {
    Admitter ad(*st_, metrics_);
    ad.start();
    for (int i = 0; i < 2; ++i) {
      Admission a;
      ASSERT_FALSE(admit(ad, a, who_, Estimate{10, 0}));
      ad.settle(a, 60, 0.5);  // 60 then 120 tokens: the second passes the budget
    }
    Admission a;
    auto refused = admit(ad, a, who_, Estimate{10, 0});
    ASSERT_TRUE(refused);
    EXPECT_EQ(code_of(*refused), "600005");
    EXPECT_TRUE(header(*refused, "retry-after").empty()) << "a total budget never resets";
    // Another user's trial is untouched.
    Admission b;
    EXPECT_FALSE(admit(ad, b, Subject{"ws2", "key9", "user9", "public/m"}, Estimate{10, 0}));
    ad.stop();  // writes the consumption back
  }
  auto rows = quota_usage_of(*st_, qid, 0);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].subject, stored_subject("user1", "public/m"));
  EXPECT_EQ(rows[0].tokens, 120);
  EXPECT_DOUBLE_EQ(rows[0].cost, 1.0);
  Admitter restarted(*st_, metrics_);
  restarted.start();
  Admission a;
  auto refused = admit(restarted, a, who_, Estimate{10, 0});
  ASSERT_TRUE(refused);
  EXPECT_EQ(code_of(*refused), "600005");
  restarted.stop();
}

TEST_F(AdmitterTest, DailyQuotasCountPerUtcDay) {
  int64_t noon = 1767268800000;  // 2026-01-01T12:00:00Z
  EXPECT_EQ(period_start(Period::kDay, noon), 1767225600000);
  EXPECT_EQ(period_end(Period::kDay, noon), 1767312000000);
  EXPECT_EQ(period_start(Period::kMonth, noon), 1767225600000);
  EXPECT_EQ(period_end(Period::kMonth, 1764590400000), 1767225600000)
      << "December ends at New Year";
  EXPECT_EQ(period_start(Period::kTotal, noon), 0);
}

TEST(Estimate, ReservesPromptEstimatePlusCompletionBudget) {
  auto body = bj::parse(R"({"model":"m","messages":[{"role":"user","content":"0123456789abcdef"}],)"
                        R"("max_tokens":100,"n":2})")
                  .as_object();
  // "user" + 16 bytes = 20 bytes -> 5 tokens, + 4 per message, + 2 x 100.
  EXPECT_EQ(estimate_request(body, "/chat/completions").tokens, 5 + 4 + 200);
  body.erase("max_tokens");
  EXPECT_EQ(estimate_request(body, "/chat/completions").tokens, 9 + 2 * kDefaultCompletionReserve);
  auto emb = bj::parse(R"({"model":"m","input":["abcd","efgh"]})").as_object();
  EXPECT_EQ(estimate_request(emb, "/embeddings").tokens, 2 + 8);
  auto img = bj::parse(R"({"model":"m","prompt":"a cat","n":3})").as_object();
  EXPECT_EQ(estimate_request(img, "/images/generations").images, 3);
  auto huge = bj::parse(R"({"messages":[],"max_tokens":18446744073709551615,"n":-4})").as_object();
  EXPECT_GT(estimate_request(huge, "/chat/completions").tokens, 0);
}

TEST(Rules, DecodeStrictlyAndFormatResets) {
  EXPECT_THROW(rule_from_json(bj::parse(R"({"scope":"key","metric":"requests","limit":1,)"
                                        R"("window_seconds":1,"extra":1})")),
               ApiError);
  EXPECT_THROW(rule_from_json(bj::parse(R"({"scope":"model","metric":"requests","limit":1,)"
                                        R"("window_seconds":1,"key_id":"k"})")),
               ApiError);
  auto r = rule_from_json(bj::parse(
      R"({"scope":"key+model","metric":"concurrency","limit":4,"key_id":"k","model":"public/m"})"));
  EXPECT_EQ(r.window_seconds, 0);
  EXPECT_EQ(format_reset(20), "20ms");
  EXPECT_EQ(format_reset(1500), "1.5s");
  EXPECT_EQ(format_reset(360000), "6m0s");
  EXPECT_EQ(format_reset(3723045), "1h2m3.045s");
  EXPECT_EQ(format_reset(1230), "1.23s");
  EXPECT_EQ(format_reset(3723004), "1h2m3.004s");
}

// Hot-path cost per request, admit + settle, with three rules applying
// (key requests, key tokens, model concurrency). Printed for the record;
// the assertions check that every request was decided.
TEST_F(AdmitterTest, OverheadPerRequest) {
  LimitRule rpm = rule(Scope::kKey, Metric::kRequests, 1 << 30, 60);
  LimitRule tpm = rule(Scope::kKey, Metric::kTokens, int64_t{1} << 40, 60);
  LimitRule conc = rule(Scope::kModel, Metric::kConcurrency, 1 << 20, 0);
  add_rule(rpm);
  add_rule(tpm);
  add_rule(conc);
  auto measure = [&](Admitter& ad, int n) {
    boost::asio::io_context io;
    int admitted = 0;
    auto t0 = std::chrono::steady_clock::now();
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
          for (int i = 0; i < n; ++i) {
            Admission a;
            auto refused = co_await ad.admit(a, who_, Estimate{100, 0});
            if (!refused) ++admitted;
            ad.settle(a, 40, 0);
          }
        },
        boost::asio::detached);
    io.run();
    double us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() /
        n;
    EXPECT_EQ(admitted, n);
    return us;
  };
  Admitter local(*st_, metrics_);
  local.refresh();
  measure(local, 2000);  // warm up: counters created once
  double local_us = measure(local, 50000);
  std::printf("[ figures  ] in-memory limiter: %.3f us per request (admit + settle, 3 rules)\n",
              local_us);
  const char* url = std::getenv("HYDRA_TEST_REDIS_URL");
  if (!url || !*url)
    GTEST_SKIP() << "HYDRA_TEST_REDIS_URL is not set (run under scripts/with-redis.sh)";
  Admitter redis(*st_, metrics_, std::make_unique<RedisLimiter>(url, &metrics_));
  redis.refresh();
  measure(redis, 200);
  double redis_us = measure(redis, 3000);
  static_cast<RedisLimiter&>(redis.limiter()).drain();
  std::printf("[ figures  ] Redis limiter: %.1f us per request (admit round trip, settle async)\n",
              redis_us);
}

}  // namespace
}  // namespace hydra::limits
