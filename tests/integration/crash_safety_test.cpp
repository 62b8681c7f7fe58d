// kill -9 in the middle of a burst of writes: what was acknowledged must
// survive, and nothing may be half there.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "api_helpers.h"
#include "hydra_process.h"

namespace hydra::itest {
namespace {

constexpr int kMutations = 1000;
constexpr int kThreads = 64;
constexpr int kKillAfterAnswers = 300;

std::string provider_id(int i) {
  return "burst-" + std::to_string(i);
}
std::string provider_icon(int i) {
  return "https://icons.example.com/" + std::to_string(i) + ".png";
}

// Each of kThreads clients sends its share of provider creations; status[i]
// is the answer to mutation i, or -1 when none came.
struct Burst {
  std::vector<int> status = std::vector<int>(kMutations, 0);
  std::atomic<int> next{0};
  std::atomic<int> answered{0};
  std::vector<std::thread> threads;

  void start(const std::string& url, const std::string& token) {
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([this, url, token] {
        http::ClientOptions co;
        co.connect_timeout_ms = 2000;
        co.request_timeout_ms = 30000;
        http::Client client(co);
        for (int i = next++; i < kMutations; i = next++) {
          http::ClientRequest req;
          req.method = "POST";
          req.url = url + "/api/v1/providers";
          req.headers = {{"content-type", "application/json"},
                         {"authorization", "Bearer " + token}};
          req.body =
              bj::serialize(bj::object{{"id", provider_id(i)},
                                       {"name", bj::object{{"enUS", "Burst " + std::to_string(i)}}},
                                       {"icon", provider_icon(i)}});
          try {
            status[i] = client.send(req).status;
            answered++;
          } catch (const std::exception&) {
            status[i] = -1;
          }
        }
      });
    }
  }
  void join() {
    for (auto& t : threads) t.join();
  }
};

::testing::AssertionResult integrity_ok(const std::string& db) {
  RunResult r = run_command({"/usr/bin/sqlite3", db, "PRAGMA integrity_check;"}, {});
  if (r.exit_code == 0 && r.out == "ok\n") return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "sqlite3 integrity_check: exit " << r.exit_code << "\n"
                                       << r.out << r.err;
}

TEST(CrashSafety, KillDuringBurstKeepsEveryAcknowledgedMutation) {
  HydraProcess hydra;
  hydra.start();
  Api api(hydra.url());
  std::string admin = api.login("admin", kAdminPassword);

  Burst burst;
  burst.start(hydra.url(), admin);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (burst.answered < kKillAfterAnswers && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  hydra.kill9();
  burst.join();

  std::set<std::string> acknowledged;
  int unanswered = 0;
  for (int i = 0; i < kMutations; ++i) {
    if (burst.status[i] == -1) {
      ++unanswered;
      continue;
    }
    // Anything the server did answer must have been a success.
    EXPECT_EQ(burst.status[i], 201) << "mutation " << i;
    if (burst.status[i] == 201) acknowledged.insert(provider_id(i));
  }
  // The kill really hit the middle of the burst.
  ASSERT_GE(static_cast<int>(acknowledged.size()), kKillAfterAnswers);
  ASSERT_GT(unanswered, 0) << "the burst finished before the kill";
  std::cout << "[ info ] " << acknowledged.size() << " acknowledged, " << unanswered
            << " unanswered at kill -9\n";

  // The files as the crash left them are a sound database.
  EXPECT_TRUE(integrity_ok(hydra.db_path()));

  hydra.start();
  admin = api.login("admin", kAdminPassword);
  std::map<std::string, bj::value> present;
  for (auto& p : api.all_items("/api/v1/providers", admin)) present[str_of(p, "id")] = p;
  std::set<std::string> audited;
  for (const auto& e : api.all_items("/api/v1/audit-events?action=CreateModelProvider", admin)) {
    audited.insert(str_of(e, "resource_id"));
  }

  for (const auto& id : acknowledged) EXPECT_TRUE(present.count(id)) << "lost " << id;
  // Every provider is whole, came from the burst, and has its audit event;
  // every event has its provider: change and event share one transaction.
  for (int i = 0; i < kMutations; ++i) {
    auto it = present.find(provider_id(i));
    if (it == present.end()) {
      EXPECT_EQ(audited.count(provider_id(i)), 0u) << "event without its provider " << i;
      continue;
    }
    EXPECT_EQ(str_of(it->second, "icon"), provider_icon(i));
    EXPECT_EQ(str_of(it->second.at("name"), "enUS"), "Burst " + std::to_string(i));
    EXPECT_EQ(audited.count(provider_id(i)), 1u) << "provider without its event " << i;
  }
  for (const auto& [id, p] : present) EXPECT_EQ(id.rfind("burst-", 0), 0u) << id;
  EXPECT_EQ(audited.size(), present.size());

  // The restarted server still takes writes, and stops cleanly.
  api.expect(201, "POST", "/api/v1/providers", bj::object{{"id", "after-crash"}}, admin);
  EXPECT_EQ(hydra.stop(), 0);
  EXPECT_TRUE(integrity_ok(hydra.db_path()));
}

}  // namespace
}  // namespace hydra::itest
