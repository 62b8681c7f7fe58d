// Rate limits and quotas through real `hydra serve` processes: a key limited
// to 100 requests per window, hammered by concurrent clients, never gets
// more than 100 admitted in any window — with one gateway (in-process
// counters) and with two gateways sharing one store and one Redis server.
// Which window admitted a request is read from the answer itself: the
// x-ratelimit-reset-requests header says how far the window's end was, in
// milliseconds, and windows are aligned to the Unix epoch.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "api_helpers.h"
#include "http/server.h"
#include "hydra_process.h"

namespace hydra::itest {
namespace {

using Clock = std::chrono::system_clock;
constexpr const char* kSecret = "limits-test-secret-key-0123456789";

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
      .count();
}

// "20ms", "1.5s", "1m0.25s", "1h2m3s" -> milliseconds; -1 when malformed.
int64_t parse_go_duration(const std::string& s) {
  if (s.size() > 2 && s.ends_with("ms")) return std::stoll(s.substr(0, s.size() - 2));
  double total = 0;
  size_t at = 0;
  while (at < s.size()) {
    size_t used = 0;
    double v = std::stod(s.substr(at), &used);
    at += used;
    if (at >= s.size()) return -1;
    char unit = s[at++];
    if (unit == 'h')
      total += v * 3600000;
    else if (unit == 'm')
      total += v * 60000;
    else if (unit == 's')
      total += v * 1000;
    else
      return -1;
  }
  return std::llround(total);
}

// An OpenAI-compatible upstream that answers every chat completion at once
// with 5 prompt and 7 completion tokens, and counts what it served.
class TinyUpstream {
 public:
  TinyUpstream() {
    http::Router r;
    r.add("POST", "/v1/chat/completions", [this](http::Request&) {
      ++hits;
      return http::Response::json(
          200,
          bj::parse(R"({"id":"c1","object":"chat.completion","created":1,"model":"tiny",)"
                    R"("choices":[{"index":0,"message":{"role":"assistant","content":"ok"},)"
                    R"("finish_reason":"stop"}],)"
                    R"("usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}})"));
    });
    http::ServerOptions o;
    o.port = 0;
    o.access_log = false;
    o.io_threads = 1;
    o.worker_threads = 2;
    server_ = std::make_unique<http::Server>(o, std::move(r), std::make_shared<http::Metrics>());
    server_->start();
  }
  ~TinyUpstream() { server_->shutdown(200); }
  std::string base_url() const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + "/v1";
  }
  std::atomic<int> hits{0};

 private:
  std::unique_ptr<http::Server> server_;
};

struct Answer {
  int status = 0;
  int64_t sent = 0, received = 0;
  int64_t reset_ms = -1;
  int64_t remaining = -1;
  std::string code;
  std::string retry_after;
};

const char* kChat =
    R"({"model":"public/tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":8})";

Answer chat(Api& api, const std::string& key) {
  Answer a;
  a.sent = wall_ms();
  auto r = api.call("POST", "/v1/chat/completions", kChat, key);
  a.received = wall_ms();
  a.status = r.status;
  if (auto* h = r.header("x-ratelimit-reset-requests")) a.reset_ms = parse_go_duration(*h);
  if (auto* h = r.header("x-ratelimit-remaining-requests")) a.remaining = std::stoll(*h);
  if (auto* h = r.header("retry-after")) a.retry_after = *h;
  if (r.status != 200) a.code = str_of(parse_json(r.body).at("error"), "code");
  return a;
}

// One admin session, a MaaS model routed to the tiny upstream, an API key.
struct Tenant {
  std::string admin;
  std::string key;
  std::string key_id;
  std::string user_id;
};

Tenant set_up(Api& api, const TinyUpstream& up, const bj::array& model_limits = {}) {
  Tenant t;
  t.admin = api.login("admin", kAdminPassword);
  api.expect(201, "POST", "/api/v1/maas-models",
             bj::object{{"id", "tiny"},
                        {"enabled", true},
                        {"rate_limits", model_limits},
                        {"endpoints", bj::array{bj::object{{"base_url", up.base_url()},
                                                           {"model", "tiny-upstream"}}}}},
             t.admin);
  bj::value k =
      api.expect(201, "POST", "/api/v1/api-keys", bj::object{{"name", "limits"}}, t.admin);
  t.key = str_of(k, "key");
  t.key_id = str_of(k, "id");
  t.user_id = str_of(api.expect(200, "GET", "/api/v1/auth/me", nullptr, t.admin).at("user"), "id");
  return t;
}

// Waits until `pred(answer)` holds for a chat answer; the answers seen.
std::vector<Answer> wait_for(Api& api, const std::string& key,
                             const std::function<bool(const Answer&)>& pred) {
  std::vector<Answer> seen;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    seen.push_back(chat(api, key));
    if (pred(seen.back())) return seen;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "condition not reached; last status " << seen.back().status;
  return seen;
}

std::string create_rule(Api& api, const Tenant& t, int64_t limit, int64_t window_s,
                        const std::string& key_id) {
  bj::value r = api.expect(201, "POST", "/api/v1/limits",
                           bj::object{{"scope", "key"},
                                      {"metric", "requests"},
                                      {"key_id", key_id},
                                      {"limit", limit},
                                      {"window_seconds", window_s}},
                           t.admin);
  return str_of(r, "id");
}

struct WindowReport {
  std::map<int64_t, int> admitted;  // window end (ms) -> 200 answers
  int refused = 0;
};

// Puts every admitted answer in the window it was decided in and checks the
// limit's promises on the way. The window's end is a multiple of W in
// [sent + reset, received + reset].
WindowReport check_windows(const std::vector<Answer>& answers, int64_t limit, int64_t window_ms) {
  WindowReport rep;
  std::map<int64_t, std::set<int64_t>> remaining_seen;
  for (const auto& a : answers) {
    if (a.status == 429) {
      ++rep.refused;
      EXPECT_EQ(a.code, "700001");
      EXPECT_FALSE(a.retry_after.empty());
      EXPECT_EQ(a.remaining, 0);
      continue;
    }
    EXPECT_EQ(a.status, 200);
    if (a.status != 200) continue;
    EXPECT_GE(a.reset_ms, 0) << "admitted answers carry x-ratelimit-reset-requests";
    int64_t lo = a.sent + a.reset_ms, hi = a.received + a.reset_ms + 1;
    int64_t end = (lo + window_ms - 1) / window_ms * window_ms;
    EXPECT_LE(end, hi) << "no window boundary in [" << lo << ", " << hi << "]";
    rep.admitted[end]++;
    // Each admission in a window saw a different count.
    EXPECT_TRUE(remaining_seen[end].insert(a.remaining).second)
        << "remaining " << a.remaining << " seen twice in window ending " << end;
  }
  for (const auto& [end, n] : rep.admitted) {
    EXPECT_LE(n, limit) << "window ending " << end << " admitted " << n;
  }
  return rep;
}

// Fires requests from `clients` threads (spread over the given servers) for
// `duration_ms`; every answer.
std::vector<Answer> hammer(const std::vector<std::string>& urls, const std::string& key,
                           int clients, int64_t duration_ms) {
  std::mutex mu;
  std::vector<Answer> all;
  std::vector<std::thread> threads;
  int64_t stop = wall_ms() + duration_ms;
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      Api api(urls[static_cast<size_t>(i) % urls.size()]);
      std::vector<Answer> mine;
      while (wall_ms() < stop) mine.push_back(chat(api, key));
      std::lock_guard<std::mutex> lock(mu);
      all.insert(all.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  return all;
}

void expect_full_windows(const WindowReport& rep, int64_t limit, int64_t first_end,
                         int64_t last_end) {
  int full = 0;
  for (const auto& [end, n] : rep.admitted) {
    // Windows wholly inside the run were hammered from start to end.
    if (end > first_end && end < last_end) {
      EXPECT_EQ(n, limit) << "window ending " << end;
      ++full;
    }
  }
  EXPECT_GE(full, 1);
}

TEST(Limits, OneGatewayAdmitsAtMostTheLimitPerWindow) {
  TinyUpstream up;
  HydraProcess hydra({"--limits-poll-ms", "200", "--access-log", "false"});
  hydra.start();
  Api api(hydra.url());
  Tenant t = set_up(api, up);
  wait_for(api, t.key, [](const Answer& a) { return a.status == 200; });
  constexpr int64_t kLimit = 100, kWindowMs = 2000;
  create_rule(api, t, kLimit, kWindowMs / 1000, t.key_id);
  wait_for(api, t.key, [](const Answer& a) { return a.reset_ms >= 0; });

  int64_t start = wall_ms();
  auto answers = hammer({hydra.url()}, t.key, 6, 5 * kWindowMs / 2);
  int64_t end = wall_ms();
  WindowReport rep = check_windows(answers, kLimit, kWindowMs);
  expect_full_windows(rep, kLimit, start + kWindowMs, end);
  EXPECT_GT(rep.refused, 0);
  for (const auto& [w, n] : rep.admitted)
    std::printf("[ figures  ] one gateway, window ending %lld: %d admitted\n",
                static_cast<long long>(w), n);
  std::printf("[ figures  ] one gateway: %zu requests, %d refused\n", answers.size(), rep.refused);

  // A real minute: a second key, 150 requests fired at once.
  bj::value k2 =
      api.expect(201, "POST", "/api/v1/api-keys", bj::object{{"name", "minute"}}, t.admin);
  std::string key2 = str_of(k2, "key");
  int64_t into_minute = wall_ms() % 60000;
  if (into_minute > 50000)
    std::this_thread::sleep_for(std::chrono::milliseconds(60500 - into_minute));
  create_rule(api, t, kLimit, 60, str_of(k2, "id"));
  auto probe = wait_for(api, key2, [](const Answer& a) { return a.reset_ms >= 0; });
  std::vector<Answer> burst;
  for (auto& a : probe) {
    if (a.reset_ms >= 0) burst.push_back(a);  // admitted under the rule: counted in its window
  }
  std::mutex mu;
  std::vector<std::thread> threads;
  for (int i = 0; i < 5; ++i) {
    threads.emplace_back([&] {
      Api c(hydra.url());
      for (int j = 0; j < 30; ++j) {
        Answer a = chat(c, key2);
        std::lock_guard<std::mutex> lock(mu);
        burst.push_back(a);
      }
    });
  }
  for (auto& th : threads) th.join();
  WindowReport minute = check_windows(burst, kLimit, 60000);
  ASSERT_EQ(minute.admitted.size(), 1u) << "the burst stayed within one minute";
  EXPECT_EQ(minute.admitted.begin()->second, kLimit);
  std::printf("[ figures  ] 60 s window: %zu requests, %d admitted, %d refused\n", burst.size(),
              minute.admitted.begin()->second, minute.refused);
  EXPECT_EQ(hydra.stop(), 0);
}

TEST(Limits, TwoGatewaysSharingRedisAdmitAtMostTheLimitPerWindow) {
  const char* redis = std::getenv("HYDRA_TEST_REDIS_URL");
  if (!redis || !*redis)
    GTEST_SKIP() << "HYDRA_TEST_REDIS_URL is not set (run under scripts/with-redis.sh)";
  TinyUpstream up;
  std::vector<std::string> common = {"--limits-poll-ms", "200",   "--access-log",       "false",
                                     "--secret-key",     kSecret, "--limits-redis-url", redis};
  HydraProcess first(common);
  first.start();
  std::vector<std::string> second_args = common;
  second_args.insert(second_args.end(), {"--database", "sqlite:" + first.db_path()});
  HydraProcess second(second_args);
  second.start();
  Api api(first.url()), api2(second.url());
  Tenant t = set_up(api, up);
  wait_for(api, t.key, [](const Answer& a) { return a.status == 200; });
  wait_for(api2, t.key, [](const Answer& a) { return a.status == 200; });
  constexpr int64_t kLimit = 100, kWindowMs = 2000;
  create_rule(api, t, kLimit, kWindowMs / 1000, t.key_id);
  wait_for(api, t.key, [](const Answer& a) { return a.reset_ms >= 0; });
  wait_for(api2, t.key, [](const Answer& a) { return a.reset_ms >= 0; });

  int64_t start = wall_ms();
  auto answers = hammer({first.url(), second.url()}, t.key, 6, 5 * kWindowMs / 2);
  int64_t end = wall_ms();
  WindowReport rep = check_windows(answers, kLimit, kWindowMs);
  expect_full_windows(rep, kLimit, start + kWindowMs, end);
  for (const auto& [w, n] : rep.admitted)
    std::printf("[ figures  ] two gateways, window ending %lld: %d admitted\n",
                static_cast<long long>(w), n);
  std::printf("[ figures  ] two gateways: %zu requests, %d refused\n", answers.size(), rep.refused);
  EXPECT_EQ(second.stop(), 0);
  EXPECT_EQ(first.stop(), 0);
}

TEST(Limits, FreeTrialQuotaIsUsedUpAndStaysUsedUpAfterRestart) {
  TinyUpstream up;
  HydraProcess hydra({"--limits-poll-ms", "200", "--access-log", "false", "--secret-key", kSecret});
  hydra.start();
  Api api(hydra.url());
  // The model itself allows 100 requests a minute; each answer says so.
  Tenant t =
      set_up(api, up,
             bj::array{bj::object{{"metric", "requests"}, {"limit", 100}, {"window_seconds", 60}}});
  // A per-user free trial on every model, generous at first.
  bj::value q = api.expect(
      201, "POST", "/api/v1/quotas",
      bj::object{{"scope", "user+model"}, {"metric", "tokens"}, {"budget", 1000}}, t.admin);
  std::string qid = str_of(q, "id");
  wait_for(api, t.key, [](const Answer& a) { return a.status == 200 && a.reset_ms >= 0; });
  auto tokens_used = [&]() -> int64_t {
    bj::value u = api.expect(200, "GET", "/api/v1/quotas/" + qid + "/usage", nullptr, t.admin);
    if (u.at("total").to_number<int64_t>() == 0) return 0;
    return u.at("items").at(0).at("tokens").to_number<int64_t>();
  };
  // Once consumption shows up, every admitted request is charged 12 tokens.
  wait_for(api, t.key, [&](const Answer&) { return tokens_used() > 0; });
  // No request in flight now: once written back, the count is exact.
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  const int64_t before = tokens_used();
  ASSERT_EQ(before % 12, 0);
  api.expect(200, "PATCH", "/api/v1/quotas/" + qid, bj::object{{"budget", before + 30}}, t.admin);
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // five reload intervals
  auto seen = wait_for(api, t.key, [](const Answer& a) { return a.status == 429; });
  EXPECT_EQ(seen.back().code, "600005");
  // Requests run one at a time, so the budget is exceeded by less than one
  // request: three more answers (36 tokens) reach the 30 left.
  int64_t used = 0;
  for (int i = 0; i < 50 && used != before + 36; ++i) {
    used = tokens_used();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(used, before + 36);
  bj::value usage = api.expect(200, "GET", "/api/v1/quotas/" + qid + "/usage", nullptr, t.admin);
  ASSERT_EQ(usage.at("total").to_number<int64_t>(), 1);
  const auto& row = usage.at("items").at(0);
  EXPECT_EQ(str_of(row, "subject"), t.user_id);
  EXPECT_EQ(str_of(row, "model"), "public/tiny");
  EXPECT_EQ(hydra.stop(), 0);
  hydra.start();
  t.admin = api.login("admin", kAdminPassword);
  Answer after = chat(api, t.key);
  EXPECT_EQ(after.status, 429);
  EXPECT_EQ(after.code, "600005");
  // A larger budget lets the user go on.
  api.expect(200, "PATCH", "/api/v1/quotas/" + qid, bj::object{{"budget", 1000}}, t.admin);
  wait_for(api, t.key, [](const Answer& a) { return a.status == 200; });
  // The changes are audited.
  auto events = api.all_items("/api/v1/audit-events?resource_type=quota", t.admin);
  std::set<std::string> actions;
  for (const auto& e : events) actions.insert(str_of(e, "action"));
  EXPECT_TRUE(actions.count("CreateQuota"));
  EXPECT_TRUE(actions.count("UpdateQuota"));
  EXPECT_EQ(hydra.stop(), 0);
}

TEST(Limits, ManagementApiValidatesAndAudits) {
  HydraProcess hydra({"--access-log", "false"});
  hydra.start();
  Api api(hydra.url());
  std::string admin = api.login("admin", kAdminPassword);
  for (const char* bad :
       {R"({"scope":"key","metric":"requests"})",
        R"({"scope":"team","metric":"requests","limit":1,"window_seconds":1})",
        R"({"scope":"key","metric":"requests","limit":-1,"window_seconds":1})",
        R"({"scope":"key","metric":"requests","limit":1,"window_seconds":0})",
        R"({"scope":"key","metric":"concurrency","limit":1,"window_seconds":5})",
        R"({"scope":"global","metric":"requests","limit":1,"window_seconds":1,"key_id":"k"})",
        R"({"scope":"key","metric":"requests","limit":1,"window_seconds":1,"burst":2})"}) {
    EXPECT_TRUE(is_error(api.call("POST", "/api/v1/limits", bad, admin), 400)) << bad;
  }
  EXPECT_TRUE(
      is_error(api.call("POST", "/api/v1/quotas", R"({"scope":"user","budget":-5})", admin), 400));
  bj::value r = api.expect(201, "POST", "/api/v1/limits",
                           bj::object{{"scope", "model"},
                                      {"metric", "tokens"},
                                      {"model", "public/x"},
                                      {"limit", 1000},
                                      {"window_seconds", 60}},
                           admin);
  std::string id = str_of(r, "id");
  bj::value page = api.expect(200, "GET", "/api/v1/limits?page=1&page_size=10", nullptr, admin);
  EXPECT_EQ(page.at("total").to_number<int64_t>(), 1);
  api.expect(200, "PATCH", "/api/v1/limits/" + id, bj::object{{"limit", 5}}, admin);
  EXPECT_EQ(api.expect(200, "GET", "/api/v1/limits/" + id, nullptr, admin)
                .at("limit")
                .to_number<int64_t>(),
            5);
  api.expect(204, "DELETE", "/api/v1/limits/" + id, nullptr, admin);
  EXPECT_TRUE(is_error(api.call("GET", "/api/v1/limits/" + id, "", admin), 404));
  auto events = api.all_items("/api/v1/audit-events?resource_type=rate_limit_rule", admin);
  std::set<std::string> actions;
  for (const auto& e : events) actions.insert(str_of(e, "action"));
  EXPECT_EQ(actions, (std::set<std::string>{"CreateRateLimitRule", "UpdateRateLimitRule",
                                            "DeleteRateLimitRule"}));
  EXPECT_EQ(hydra.stop(), 0);
}

}  // namespace
}  // namespace hydra::itest
