// Audit events: recording inside the caller's transaction, queries, CSV.
// Runs against SQLite and PostgreSQL like the store suite.
#include "audit/audit.h"

#include <gtest/gtest.h>

#include "../store/test_database.h"
#include "common/clock.h"

namespace hydra::audit {
namespace {

using store::testing::Backend;
using store::testing::BackendTest;

Event make(std::string actor, std::string action, std::string type, std::string id, int64_t time,
           std::string workspace = "ws-1") {
  Event e;
  e.actor_id = "uid-" + actor;
  e.actor_name = std::move(actor);
  e.action = std::move(action);
  e.resource_type = std::move(type);
  e.resource_id = std::move(id);
  e.time = time;
  e.workspace_id = std::move(workspace);
  return e;
}

// Query has members without initializers, which designated initializers would warn about.
template <class Set>
Query with(Set set) {
  Query q;
  set(q);
  return q;
}

class AuditTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = db().open();
    store_->migrate();
  }

  void seed(const std::vector<Event>& events) {
    store_->transact([&](store::Session& s) {
      for (const auto& e : events) record(s, e);
    });
  }

  std::vector<std::string> ids(const Query& q) {
    std::vector<std::string> out;
    for (const auto& e : query(*store_, q).items) out.push_back(e.resource_id);
    return out;
  }

  std::unique_ptr<store::Store> store_;
};

TEST_P(AuditTest, RecordFillsIdAndTimeWhenEmpty) {
  int64_t before = now_ms();
  seed({make("alice", "CreateModel", "model", "m1", 0)});
  int64_t after = now_ms();
  Event fixed = make("bob", "DeleteModel", "model", "m2", 1234);
  fixed.id = "fixed-id";
  fixed.result = "failure";
  fixed.detail = "because";
  fixed.source_ip = "127.0.0.1";
  fixed.request_id = "req-1";
  seed({fixed});

  auto page = query(*store_, Query{});
  ASSERT_EQ(page.total, 2);
  const Event& filled = page.items[0];  // newest first
  EXPECT_EQ(filled.resource_id, "m1");
  EXPECT_EQ(filled.id.size(), 22u);
  EXPECT_GE(filled.time, before);
  EXPECT_LE(filled.time, after);
  EXPECT_EQ(filled.result, "success");
  const Event& kept = page.items[1];
  EXPECT_EQ(kept.id, "fixed-id");
  EXPECT_EQ(kept.time, 1234);
  EXPECT_EQ(kept.actor_id, "uid-bob");
  EXPECT_EQ(kept.actor_name, "bob");
  EXPECT_EQ(kept.workspace_id, "ws-1");
  EXPECT_EQ(kept.action, "DeleteModel");
  EXPECT_EQ(kept.resource_type, "model");
  EXPECT_EQ(kept.result, "failure");
  EXPECT_EQ(kept.detail, "because");
  EXPECT_EQ(kept.source_ip, "127.0.0.1");
  EXPECT_EQ(kept.request_id, "req-1");
}

TEST_P(AuditTest, RecordInsideARolledBackTransactionLeavesNoEvent) {
  EXPECT_THROW(store_->transact([](store::Session& s) {
    record(s, make("alice", "CreateModel", "model", "m1", 10));
    throw std::runtime_error("the change failed");
  }),
               std::runtime_error);
  EXPECT_EQ(query(*store_, Query{}).total, 0);
  seed({make("alice", "CreateModel", "model", "m2", 20)});
  EXPECT_EQ(ids(Query{}), std::vector<std::string>{"m2"});
}

TEST_P(AuditTest, FiltersCombineAndNewestComesFirst) {
  seed({make("alice", "CreateModel", "model", "m1", 100),
        make("alice", "PublishModel", "model", "m1", 200),
        make("bob", "CreateWSAPIKey", "api_key", "k1", 300, "ws-2"),
        make("alice", "DeleteModel", "model", "m2", 400),
        make("bob", "DeleteWSAPIKey", "api_key", "k1", 500, "ws-2")});

  EXPECT_EQ(ids(Query{}), (std::vector<std::string>{"k1", "m2", "k1", "m1", "m1"}));
  EXPECT_EQ(ids(with([](Query& q) { q.actor = "bob"; })), (std::vector<std::string>{"k1", "k1"}));
  EXPECT_EQ(ids(with([](Query& q) { q.actor_id = "uid-alice"; })),
            (std::vector<std::string>{"m2", "m1", "m1"}));
  EXPECT_EQ(ids(with([](Query& q) { q.action = "PublishModel"; })), std::vector<std::string>{"m1"});
  EXPECT_EQ(ids(with([](Query& q) { q.resource_type = "api_key"; })),
            (std::vector<std::string>{"k1", "k1"}));
  EXPECT_EQ(ids(with([](Query& q) {
              q.resource_type = "model";
              q.resource_id = "m1";
            })),
            (std::vector<std::string>{"m1", "m1"}));
  EXPECT_EQ(ids(with([](Query& q) { q.workspace_id = "ws-2"; })),
            (std::vector<std::string>{"k1", "k1"}));
  // Both ends of the time range are inclusive.
  EXPECT_EQ(ids(with([](Query& q) {
              q.since_ms = 200;
              q.until_ms = 400;
            })),
            (std::vector<std::string>{"m2", "k1", "m1"}));
  EXPECT_EQ(ids(with([](Query& q) { q.since_ms = 401; })), std::vector<std::string>{"k1"});
  EXPECT_EQ(ids(with([](Query& q) { q.until_ms = 99; })), std::vector<std::string>{});
  EXPECT_EQ(ids(with([](Query& q) {
              q.actor = "alice";
              q.action = "CreateModel";
              q.since_ms = 100;
            })),
            std::vector<std::string>{"m1"});
  // Filter values are data, never SQL.
  EXPECT_EQ(query(*store_, with([](Query& q) { q.actor = "x' OR '1'='1"; })).total, 0);
}

TEST_P(AuditTest, PagesCarryTheTotalOfAllMatches) {
  std::vector<Event> events;
  for (int i = 0; i < 7; ++i)
    events.push_back(make("alice", "UpdateModel", "model", "m" + std::to_string(i), 1000 + i));
  seed(events);
  auto page = query(*store_, with([](Query& q) {
    q.offset = 2;
    q.limit = 3;
  }));
  EXPECT_EQ(page.total, 7);
  ASSERT_EQ(page.items.size(), 3u);
  EXPECT_EQ(page.items[0].resource_id, "m4");
  EXPECT_EQ(page.items[2].resource_id, "m2");
  EXPECT_TRUE(query(*store_, with([](Query& q) {
                q.offset = 7;
                q.limit = 3;
              })).items.empty());
  // Events in the same millisecond are ordered by id, newest (largest) first.
  Event a = make("carol", "A", "t", "same-a", 5000);
  Event b = make("carol", "B", "t", "same-b", 5000);
  a.id = "0000000000a";
  b.id = "0000000000b";
  seed({a, b});
  EXPECT_EQ(ids(with([](Query& q) { q.actor = "carol"; })),
            (std::vector<std::string>{"same-b", "same-a"}));
}

TEST(AuditCsv, HeaderAndQuotedCells) {
  Event e = make("alice", "CreateModel", "model", "m1", 1700000000000);
  e.id = "e1";
  e.detail = "name \"qwen, 7b\"\nline two";
  e.source_ip = "10.0.0.1";
  e.request_id = "r1";
  std::string csv = to_csv({e});
  EXPECT_EQ(csv,
            "id,time,actor_id,actor,workspace_id,action,resource_type,resource_id,result,detail,"
            "source_ip,request_id\r\n"
            "e1,2023-11-14T22:13:20.000Z,uid-alice,alice,ws-1,CreateModel,model,m1,success,"
            "\"name \"\"qwen, 7b\"\"\nline two\",10.0.0.1,r1\r\n");
}

TEST(AuditCsv, CellsThatSpreadsheetsWouldRunAreDefused) {
  Event e = make("=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", 0);
  e.id = "e2";
  std::string csv = to_csv({e});
  std::string row = csv.substr(csv.find("\r\n") + 2);
  EXPECT_NE(row.find(",'=cmd|' /C calc'!A0,"), std::string::npos) << row;
  EXPECT_NE(row.find(",'+1,'-2,'@SUM(A1),"), std::string::npos) << row;
  EXPECT_EQ(to_csv({}), csv.substr(0, csv.find("\r\n") + 2));  // header only
}

INSTANTIATE_TEST_SUITE_P(Backends, AuditTest, ::testing::ValuesIn(store::testing::all_backends()),
                         store::testing::backend_name);

}  // namespace
}  // namespace hydra::audit
