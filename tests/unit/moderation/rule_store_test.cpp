// The moderation_rules table and the service the gateway reads it through,
// on SQLite and PostgreSQL.
#include "moderation/rule_store.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <thread>

#include "../store/test_database.h"
#include "common/error.h"
#include "moderation/moderation_service.h"

namespace hydra::moderation {
namespace {

using store::testing::BackendTest;

class RuleStoreTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = db().open();
    store_->migrate();
    actor_.actor_id = "u-admin";
    actor_.actor_name = "admin";
  }
  void TearDown() override {
    store_.reset();
    BackendTest::TearDown();
  }

  ModerationRule create(const char* body) {
    return create_rule(*store_, rule_from_json(boost::json::parse(body)), actor_);
  }

  int64_t audits(const char* action) {
    return store_
        ->query("SELECT COUNT(*) AS n FROM audit_events WHERE action = ?", {std::string(action)})[0]
        .i64("n");
  }

  std::unique_ptr<store::Store> store_;
  audit::Event actor_;
};

TEST_P(RuleStoreTest, CrudWithAuditEvents) {
  uint64_t v0 = rules_version();
  auto r = create(R"({"pattern":"bad","direction":"input","description":"d"})");
  EXPECT_GT(rules_version(), v0);
  EXPECT_EQ(get_rule(*store_, r.id).pattern, "bad");
  auto u = update_rule(*store_, r.id, boost::json::parse(R"({"pattern":"worse","enabled":false})"),
                       actor_);
  EXPECT_EQ(u.pattern, "worse");
  EXPECT_FALSE(get_rule(*store_, r.id).enabled);
  EXPECT_EQ(list_rules(*store_).size(), 1u);
  delete_rule(*store_, r.id, actor_);
  EXPECT_TRUE(list_rules(*store_).empty());
  EXPECT_THROW(get_rule(*store_, r.id), ApiError);
  EXPECT_THROW(delete_rule(*store_, r.id, actor_), ApiError);
  EXPECT_EQ(audits("CreateModerationRule"), 1);
  EXPECT_EQ(audits("UpdateModerationRule"), 1);
  EXPECT_EQ(audits("DeleteModerationRule"), 1);
}

TEST_P(RuleStoreTest, UnknownWorkspaceIs404AndNothingIsStored) {
  try {
    create(R"({"pattern":"x","workspace_id":"no-such-workspace"})");
    ADD_FAILURE() << "created a rule for a missing workspace";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  }
  EXPECT_TRUE(list_rules(*store_).empty());
  EXPECT_EQ(audits("CreateModerationRule"), 0);
}

TEST_P(RuleStoreTest, ServiceFollowsChanges) {
  ModerationOptions opts;
  opts.local_ms = 10;
  ModerationService svc(*store_, opts);
  svc.start();
  auto request =
      boost::json::parse(R"({"messages":[{"role":"user","content":"tell me the Plan"}]})");
  EXPECT_NO_THROW(svc.check_input(request, "ws"));
  auto r = create(R"({"pattern":"plan","direction":"input"})");
  // A change made by this process applies within a few poll ticks.
  bool refused = false;
  for (int i = 0; i < 200 && !refused; ++i) {
    try {
      svc.check_input(request, "ws");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    } catch (const ApiError& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInputModeration);
      EXPECT_EQ(e.http_status(), 400);
      EXPECT_NE(std::string(e.what()).find(r.id), std::string::npos);
      refused = true;
    }
  }
  EXPECT_TRUE(refused);
  std::string answer = R"({"choices":[{"message":{"content":"the plan is"}}]})";
  EXPECT_NO_THROW(svc.check_answer(answer, "ws"));  // an input-only rule
  svc.stop();
}

INSTANTIATE_TEST_SUITE_P(Backends, RuleStoreTest,
                         ::testing::ValuesIn(store::testing::all_backends()),
                         store::testing::backend_name);

}  // namespace
}  // namespace hydra::moderation
