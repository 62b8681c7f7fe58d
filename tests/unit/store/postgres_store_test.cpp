// What only the PostgreSQL backend has: a connection pool, reconnection,
// retries on serialization failures and deadlocks, server-side types.
#include <thread>

#include "test_database.h"

namespace hydra::store::testing {
namespace {

class PostgresStore : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = db().open();
    store_->exec("CREATE TABLE kv (k TEXT PRIMARY KEY, i BIGINT)");
  }
  int64_t count() { return store_->query("SELECT COUNT(*) AS n FROM kv")[0].i64("n"); }

  std::unique_ptr<Store> store_;
};

// Makes the server fail the statement with the given SQLSTATE condition name.
std::string raise_sql(const std::string& condition) {
  return "DO $$ BEGIN RAISE EXCEPTION 'simulated ?' USING ERRCODE = '" + condition + "'; END $$";
}

TEST_P(PostgresStore, ReportsDialect) {
  EXPECT_EQ(store_->dialect(), Dialect::kPostgres);
}

TEST_P(PostgresStore, ResultCellsAreTypedByColumnType) {
  auto r = store_->query(
      "SELECT 1::int2 AS a, 2::int4 AS b, 3::int8 AS c, 1.5::float4 AS d, 2.25::float8 AS e, "
      "3.5::numeric AS f, true AS g, 'x'::text AS h, NULL::int8 AS i, COUNT(*) AS j FROM kv");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(std::get<int64_t>(r[0].at("a")), 1);
  EXPECT_EQ(std::get<int64_t>(r[0].at("b")), 2);
  EXPECT_EQ(std::get<int64_t>(r[0].at("c")), 3);
  EXPECT_EQ(std::get<double>(r[0].at("d")), 1.5);
  EXPECT_EQ(std::get<double>(r[0].at("e")), 2.25);
  EXPECT_EQ(std::get<double>(r[0].at("f")), 3.5);
  EXPECT_EQ(std::get<int64_t>(r[0].at("g")), 1);
  EXPECT_EQ(std::get<std::string>(r[0].at("h")), "x");
  EXPECT_TRUE(r[0].is_null("i"));
  EXPECT_EQ(std::get<int64_t>(r[0].at("j")), 0);
}

TEST_P(PostgresStore, RetriesTransactionsAfterSerializationFailureOrDeadlock) {
  for (std::string condition : {"serialization_failure", "deadlock_detected"}) {
    int attempts = 0;
    store_->transact([&](Session& s) {
      s.exec("INSERT INTO kv (k, i) VALUES (?, ?)", {condition, int64_t{++attempts}});
      if (attempts == 1) s.exec(raise_sql(condition));
    });
    EXPECT_EQ(attempts, 2) << condition;
    auto r = store_->query("SELECT i FROM kv WHERE k = ?", {condition});
    ASSERT_EQ(r.size(), 1u) << condition;
    EXPECT_EQ(r[0].i64("i"), 2) << "the failed attempt's insert must be gone";
  }
}

TEST_P(PostgresStore, GivesUpAfterRepeatedConflicts) {
  int attempts = 0;
  try {
    store_->transact([&](Session& s) {
      ++attempts;
      s.exec(raise_sql("serialization_failure"));
    });
    ADD_FAILURE() << "expected the conflict to reach the caller";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("simulated ?"), std::string::npos) << e.what();
  }
  EXPECT_GT(attempts, 1);
  EXPECT_LE(attempts, 10);
}

TEST_P(PostgresStore, OtherErrorsAreNotRetried) {
  int attempts = 0;
  EXPECT_THROW(store_->transact([&](Session& s) {
    ++attempts;
    s.exec("SELECT no_such_column FROM kv");
  }),
               std::runtime_error);
  EXPECT_EQ(attempts, 1);
}

TEST_P(PostgresStore, ReconnectsWhenAPooledConnectionDies) {
  auto single = db().open(StoreOptions{.pool_size = 1});
  auto killer = db().open(StoreOptions{.pool_size = 1});
  auto pid_of = [&] { return single->query("SELECT pg_backend_pid() AS p")[0].i64("p"); };
  int64_t first = pid_of();
  killer->query("SELECT pg_terminate_backend(?)", {first});
  int64_t second = pid_of();  // autocommit query on a fresh connection
  EXPECT_NE(first, second);
  killer->query("SELECT pg_terminate_backend(?)", {second});
  single->transact([](Session& s) { s.exec("INSERT INTO kv (k) VALUES ('after-kill')"); });
  EXPECT_EQ(count(), 1);
  EXPECT_EQ(single->integrity_check(), "ok");
}

TEST_P(PostgresStore, PoolOpensAtMostPoolSizeConnections) {
  std::string app = "hydra_pool_" + random_hex(6);
  auto pooled = open_store(with_pg_param(db().url(), "application_name=" + app),
                           StoreOptions{.pool_size = 2});
  std::vector<std::thread> threads;
  // Short waits: a wait past the overflow limit (500 ms) would open a third.
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int n = 0; n < 2; ++n) pooled->query("SELECT pg_sleep(0.02)");
    });
  }
  for (auto& th : threads) th.join();
  auto open =
      store_->query("SELECT COUNT(*) AS n FROM pg_stat_activity WHERE application_name = ?", {app});
  EXPECT_EQ(open[0].i64("n"), 2);
}

TEST_P(PostgresStore, StoreQueryInsideATransactionDoesNotDeadlockAFullPool) {
  auto single = db().open(StoreOptions{.pool_size = 1});
  int64_t seen = -1;
  single->transact([&](Session& s) {
    s.exec("INSERT INTO kv (k) VALUES ('inner')");
    seen = single->query("SELECT COUNT(*) AS n FROM kv")[0].i64("n");  // needs a second connection
  });
  EXPECT_EQ(seen, 0);  // the other connection does not see the uncommitted row
  EXPECT_EQ(count(), 1);
}

TEST_P(PostgresStore, SwallowedStatementErrorStillFailsTheTransaction) {
  // On PostgreSQL a failed statement aborts its transaction; a caller that
  // catches the error and returns must not believe its earlier writes landed.
  EXPECT_THROW(store_->transact([](Session& s) {
    s.exec("INSERT INTO kv (k) VALUES ('a')");
    try {
      s.exec("INSERT INTO kv (k) VALUES ('a')");
    } catch (const UniqueViolation&) {
    }
  }),
               std::runtime_error);
  EXPECT_EQ(count(), 0);
}

TEST_P(PostgresStore, WrongParameterCountIsAClearError) {
  try {
    store_->query("SELECT ? AS a, ? AS b", {int64_t{1}});
    ADD_FAILURE() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("expects 2 parameters, got 1"), std::string::npos);
  }
}

TEST_P(PostgresStore, UnreachableServerFailsFastWithoutLeakingThePassword) {
  try {
    open_store("postgres://hydra:sekret-pw@127.0.0.1:1/none");
    ADD_FAILURE() << "expected a connection error";
  } catch (const std::runtime_error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("postgres connect"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("sekret-pw"), std::string::npos) << msg;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, PostgresStore, ::testing::ValuesIn(postgres_unless_opted_out()),
                         backend_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PostgresStore);

}  // namespace
}  // namespace hydra::store::testing
