// The Store contract: every test here runs against SQLite and PostgreSQL.
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>
#include <thread>

#include "store/migrations.h"
#include "test_database.h"

namespace hydra::store::testing {
namespace {

class StoreContract : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = db().open();
    store_->exec("CREATE TABLE kv (k TEXT PRIMARY KEY, i BIGINT, d DOUBLE PRECISION, s TEXT)");
  }

  int64_t count(const std::string& where = "", const Params& params = {}) {
    return store_->query("SELECT COUNT(*) AS n FROM kv " + where, params)[0].i64("n");
  }

  std::unique_ptr<Store> store_;
};

TEST_P(StoreContract, MigrationsAreVersionedAndIdempotent) {
  const auto& all = migrations();
  ASSERT_FALSE(all.empty());
  for (size_t i = 1; i < all.size(); ++i) EXPECT_GT(all[i].version, all[i - 1].version);

  for (int run = 0; run < 3; ++run) store_->migrate();

  EXPECT_EQ(store_->schema_version(), all.back().version);
  auto applied = store_->query("SELECT version, name FROM schema_migrations ORDER BY version");
  ASSERT_EQ(applied.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(applied[i].i64("version"), all[i].version);
    EXPECT_EQ(applied[i].str("name"), all[i].name);
  }
  // The schema is usable: a row goes into a migrated table and back.
  store_->exec(
      "INSERT INTO users (id, name, password_hash, role, created_at, updated_at) "
      "VALUES (?, ?, ?, ?, ?, ?)",
      {"u1", "alice", "h", "admin", int64_t{1}, int64_t{2}});
  auto users =
      store_->query("SELECT name, disabled, last_login_at FROM users WHERE id = ?", {"u1"});
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0].str("name"), "alice");
  EXPECT_EQ(users[0].i64("disabled"), 0);
  EXPECT_TRUE(users[0].is_null("last_login_at"));
}

TEST_P(StoreContract, MigrationsFromSeveralProcessesAtOnceApplyOnce) {
  constexpr int kStarters = 4;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  std::string first_error;
  std::mutex mu;
  for (int t = 0; t < kStarters; ++t) {
    threads.emplace_back([&] {
      try {
        db().open(StoreOptions{.pool_size = 1})->migrate();
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(mu);
        if (failures++ == 0) first_error = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0) << first_error;
  auto n = store_->query("SELECT COUNT(*) AS n FROM schema_migrations")[0].i64("n");
  EXPECT_EQ(n, static_cast<int64_t>(migrations().size()));
}

TEST_P(StoreContract, EveryValueTypeRoundTripsExactly) {
  const std::vector<int64_t> ints = {0, -1, 42, std::numeric_limits<int64_t>::max(),
                                     std::numeric_limits<int64_t>::min()};
  const std::vector<double> doubles = {
      0.1, 0.1 + 0.2, -2.5e-300, 1.7976931348623157e308, 123456789.12345679, -0.5};
  const std::vector<std::string> strings = {
      "",   "plain", "it's \"quoted\"", "line\nbreak\ttab\r", "unicode 你好 ✓", "back\\slash", "?",
      "$1", "%_"};
  size_t n = std::max({ints.size(), doubles.size(), strings.size()});
  for (size_t i = 0; i < n; ++i) {
    store_->exec("INSERT INTO kv (k, i, d, s) VALUES (?, ?, ?, ?)",
                 {"k" + std::to_string(i), ints[i % ints.size()], doubles[i % doubles.size()],
                  strings[i % strings.size()]});
  }
  auto rows = store_->query("SELECT k, i, d, s FROM kv ORDER BY k");
  ASSERT_EQ(rows.size(), n);
  for (size_t i = 0; i < n; ++i) {
    auto r = rows[i];
    ASSERT_TRUE(std::holds_alternative<int64_t>(r.at("i"))) << "row " << i;
    ASSERT_TRUE(std::holds_alternative<double>(r.at("d"))) << "row " << i;
    ASSERT_TRUE(std::holds_alternative<std::string>(r.at("s"))) << "row " << i;
    EXPECT_EQ(std::get<int64_t>(r.at("i")), ints[i % ints.size()]);
    EXPECT_EQ(std::get<double>(r.at("d")), doubles[i % doubles.size()]);  // bit-exact
    EXPECT_EQ(std::get<std::string>(r.at("s")), strings[i % strings.size()]);
  }
  // Parameters compare against stored values of each type.
  auto rows_with = [&](auto pred) {
    int64_t c = 0;
    for (size_t i = 0; i < n; ++i) c += pred(i) ? 1 : 0;
    return c;
  };
  EXPECT_EQ(count("WHERE i = ?", {std::numeric_limits<int64_t>::min()}),
            rows_with([&](size_t i) { return i % ints.size() == 4; }));
  EXPECT_EQ(count("WHERE d = ?", {0.1 + 0.2}),
            rows_with([&](size_t i) { return i % doubles.size() == 1; }));
  EXPECT_EQ(count("WHERE s = ?", {std::string("unicode 你好 ✓")}),
            rows_with([&](size_t i) { return i % strings.size() == 4; }));
}

TEST_P(StoreContract, NullsRoundTripAndCompare) {
  store_->exec("INSERT INTO kv (k, i, d, s) VALUES (?, ?, ?, ?)", {"n", Null{}, Null{}, Null{}});
  store_->exec("INSERT INTO kv (k, i, d, s) VALUES (?, ?, ?, ?)",
               {"e", int64_t{0}, 0.0, nullable("")});
  store_->exec("INSERT INTO kv (k, s) VALUES (?, ?)", {"x", nullable("x")});

  auto r = store_->query("SELECT i, d, s FROM kv WHERE k = ?", {"n"});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].is_null("i"));
  EXPECT_TRUE(r[0].is_null("d"));
  EXPECT_TRUE(r[0].is_null("s"));
  EXPECT_EQ(r[0].str("s"), "");
  EXPECT_EQ(r[0].i64("i"), 0);
  EXPECT_EQ(count("WHERE s IS NULL"), 2);  // "n" and "" made NULL by nullable()
  EXPECT_EQ(count("WHERE s = ?", {"x"}), 1);
  EXPECT_EQ(count("WHERE i IS NULL AND d IS NULL"), 2);
}

TEST_P(StoreContract, TransactionCommitsWhenFunctionReturns) {
  store_->transact([](Session& s) {
    s.exec("INSERT INTO kv (k, i) VALUES (?, ?)", {"a", int64_t{1}});
    s.exec("INSERT INTO kv (k, i) VALUES (?, ?)", {"b", int64_t{2}});
    // The transaction sees its own writes.
    EXPECT_EQ(s.query("SELECT SUM(i) AS t FROM kv")[0].i64("t"), 3);
  });
  EXPECT_EQ(count(), 2);
}

TEST_P(StoreContract, TransactionRollsBackWhenFunctionThrows) {
  store_->exec("INSERT INTO kv (k, i) VALUES (?, ?)", {"keep", int64_t{1}});
  // More rounds than pool connections, so a connection left in a bad state would show.
  for (int round = 0; round < 12; ++round) {
    try {
      store_->transact([&](Session& s) {
        s.exec("INSERT INTO kv (k, i) VALUES (?, ?)", {"gone" + std::to_string(round), int64_t{2}});
        s.exec("UPDATE kv SET i = 99 WHERE k = ?", {"keep"});
        throw std::runtime_error("boom");
      });
      ADD_FAILURE() << "the exception did not propagate";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "boom");
    }
  }
  EXPECT_EQ(count(), 1);
  EXPECT_EQ(count("WHERE k = ? AND i = ?", {"keep", int64_t{1}}), 1);
  store_->transact([](Session& s) { s.exec("INSERT INTO kv (k) VALUES (?)", {"after"}); });
  EXPECT_EQ(count(), 2);
}

TEST_P(StoreContract, AfterCommitRunsOnlyOnceTheTransactionCommitted) {
  int ran = 0;
  int64_t rows_seen = -1;
  store_->transact([&](Session& s) {
    s.exec("INSERT INTO kv (k, i) VALUES (?, ?)", {"a", int64_t{1}});
    s.after_commit([&] {
      ++ran;
      // Runs after COMMIT: a reader outside the transaction already sees the row.
      rows_seen = count();
    });
    EXPECT_EQ(ran, 0);
  });
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(rows_seen, 1);

  // A rolled-back transaction drops its callbacks, and they do not leak
  // into the next transaction on the same connection.
  for (int round = 0; round < 12; ++round) {
    EXPECT_THROW(store_->transact([&](Session& s) {
      s.exec("INSERT INTO kv (k, i) VALUES (?, ?)", {"gone", int64_t{2}});
      s.after_commit([&] { ++ran; });
      throw std::runtime_error("boom");
    }),
                 std::runtime_error);
    store_->transact([](Session& s) { s.exec("UPDATE kv SET i = i + 1 WHERE k = ?", {"a"}); });
  }
  EXPECT_EQ(ran, 1);
}

TEST_P(StoreContract, DuplicateKeysThrowUniqueViolation) {
  store_->exec("CREATE TABLE named (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE)");
  store_->exec("INSERT INTO named (id, name) VALUES (?, ?)", {"1", "a"});
  // Primary key and UNIQUE column alike.
  EXPECT_THROW(store_->exec("INSERT INTO named (id, name) VALUES (?, ?)", {"1", "b"}),
               UniqueViolation);
  EXPECT_THROW(store_->exec("INSERT INTO named (id, name) VALUES (?, ?)", {"2", "a"}),
               UniqueViolation);
  // Inside a transaction the violation undoes the earlier statements too.
  EXPECT_THROW(store_->transact([](Session& s) {
    s.exec("INSERT INTO named (id, name) VALUES (?, ?)", {"3", "c"});
    s.exec("INSERT INTO named (id, name) VALUES (?, ?)", {"4", "c"});
  }),
               UniqueViolation);
  EXPECT_EQ(store_->query("SELECT COUNT(*) AS n FROM named")[0].i64("n"), 1);
  // Other constraint failures are errors, but not UniqueViolation.
  try {
    store_->exec("INSERT INTO named (id, name) VALUES (?, ?)", {"5", Null{}});
    ADD_FAILURE() << "NOT NULL was not enforced";
  } catch (const UniqueViolation&) {
    ADD_FAILURE() << "NOT NULL reported as UniqueViolation";
  } catch (const std::runtime_error&) {
  }
  store_->exec("INSERT INTO named (id, name) VALUES (?, ?)", {"6", "f"});  // still usable
}

TEST_P(StoreContract, ConcurrentTransactionsFromSeveralThreadsAllLand) {
  constexpr int kThreads = 6;
  constexpr int kEach = 20;
  store_->exec("INSERT INTO kv (k, i) VALUES ('counter', 0)");
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < kEach; ++n) {
        try {
          store_->transact([&](Session& s) {
            s.exec("INSERT INTO kv (k, i) VALUES (?, ?)",
                   {"t" + std::to_string(t) + "-" + std::to_string(n), int64_t{t}});
            s.exec("UPDATE kv SET i = i + 1 WHERE k = 'counter'");
          });
          store_->query("SELECT COUNT(*) AS n FROM kv");  // readers interleave with writers
        } catch (const std::exception&) {
          ++errors;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(count(), kThreads * kEach + 1);
  EXPECT_EQ(count("WHERE k = 'counter' AND i = ?", {int64_t{kThreads * kEach}}), 1);
}

TEST_P(StoreContract, QuestionMarksInsideLiteralsAreNotPlaceholders) {
  auto r =
      store_->query("SELECT '?' AS a, ? AS b, 'it''s ?' AS c, ? AS d /* ? */", {"x", int64_t{7}});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].str("a"), "?");
  EXPECT_EQ(r[0].str("b"), "x");
  EXPECT_EQ(r[0].str("c"), "it's ?");
  EXPECT_EQ(r[0].i64("d"), 7);

  store_->exec("INSERT INTO kv (k, s) VALUES (?, 'literal ? here')", {"q"});
  EXPECT_EQ(count("WHERE s = 'literal ? here' AND k = ?", {"q"}), 1);
  store_->exec("CREATE TABLE odd (\"what?\" TEXT)");
  store_->exec("INSERT INTO odd (\"what?\") VALUES (?)", {"answer"});
  EXPECT_EQ(store_->query("SELECT \"what?\" AS w FROM odd")[0].str("w"), "answer");
}

TEST_P(StoreContract, LikePatternMatchesWildcardsLiterally) {
  for (const char* s : {"100%", "100x", "a_b", "axb", "c\\d", "cxd"}) {
    store_->exec("INSERT INTO kv (k, s) VALUES (?, ?)", {s, s});
  }
  auto matching = [&](std::string_view needle) {
    std::vector<std::string> out;
    auto rows = store_->query("SELECT k FROM kv WHERE s LIKE ? ESCAPE '\\' ORDER BY k",
                              {like_pattern(needle)});
    for (auto r : rows) out.push_back(r.str("k"));
    return out;
  };
  EXPECT_EQ(matching("0%"), std::vector<std::string>{"100%"});
  EXPECT_EQ(matching("a_b"), std::vector<std::string>{"a_b"});
  EXPECT_EQ(matching("\\"), std::vector<std::string>{"c\\d"});
  EXPECT_EQ(matching("x"), (std::vector<std::string>{"100x", "axb", "cxd"}));
  EXPECT_EQ(like_pattern("a%b_c\\"), "%a\\%b\\_c\\\\%");
}

TEST_P(StoreContract, ChangedRowCountsAreReported) {
  for (const char* k : {"a", "b", "c"}) store_->exec("INSERT INTO kv (k, i) VALUES (?, 1)", {k});
  EXPECT_EQ(store_->exec("UPDATE kv SET i = 2 WHERE i = ?", {int64_t{1}}), 3);
  EXPECT_EQ(store_->exec("UPDATE kv SET i = 3 WHERE k = ?", {"missing"}), 0);
  int64_t deleted = -1;
  store_->transact([&](Session& s) { deleted = s.exec("DELETE FROM kv WHERE k <> ?", {"a"}); });
  EXPECT_EQ(deleted, 2);
  Rows ret;
  store_->transact([&](Session& s) {
    ret = s.query("INSERT INTO kv (k, i) VALUES (?, ?) RETURNING k, i", {"r", int64_t{5}});
  });
  ASSERT_EQ(ret.size(), 1u);
  EXPECT_EQ(ret[0].str("k"), "r");
  EXPECT_EQ(ret[0].i64("i"), 5);
}

TEST_P(StoreContract, IntegrityCheckSaysOk) {
  EXPECT_EQ(store_->integrity_check(), "ok");
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract, ::testing::ValuesIn(all_backends()),
                         backend_name);

}  // namespace
}  // namespace hydra::store::testing
