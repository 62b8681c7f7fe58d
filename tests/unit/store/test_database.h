#pragma once
// A fresh, empty database per test, on either backend, so the same tests run
// against SQLite and PostgreSQL.
//
// SQLite: a file in a new temporary directory, always available.
// PostgreSQL: a new schema in the database at HYDRA_TEST_PG_URL (set by
// scripts/with-postgres.sh), dropped afterwards. Without that URL the
// PostgreSQL cases fail, because a suite that quietly tested only one backend
// would look green; HYDRA_TEST_NO_PG=1 leaves them out on purpose.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/random.h"
#include "store/store.h"

namespace hydra::store::testing {

enum class Backend { kSqlite, kPostgres };

inline void PrintTo(Backend b, std::ostream* os) {
  *os << (b == Backend::kSqlite ? "sqlite" : "postgres");
}

inline std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

inline std::string pg_url() {
  const char* url = std::getenv("HYDRA_TEST_PG_URL");
  return url ? url : "";
}

inline bool pg_opted_out() {
  const char* v = std::getenv("HYDRA_TEST_NO_PG");
  return v && std::string(v) == "1";
}

inline std::vector<Backend> postgres_unless_opted_out() {
  if (pg_opted_out()) {
    static bool noted = false;  // gtest asks once per test
    if (!std::exchange(noted, true)) {
      std::cerr << "note: HYDRA_TEST_NO_PG=1, the PostgreSQL cases are not run\n";
    }
    return {};
  }
  return {Backend::kPostgres};
}

inline std::vector<Backend> all_backends() {
  std::vector<Backend> out = {Backend::kSqlite};
  for (Backend b : postgres_unless_opted_out()) out.push_back(b);
  return out;
}

inline const char* kMissingPgUrl =
    "HYDRA_TEST_PG_URL is not set: run this suite through scripts/with-postgres.sh, or set "
    "HYDRA_TEST_NO_PG=1 to leave PostgreSQL out explicitly";

// Appends a libpq connection parameter to a postgres:// URL.
inline std::string with_pg_param(const std::string& url, const std::string& key_value) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + key_value;
}

class TestDatabase {
 public:
  // Check ok() afterwards: gtest assertions cannot stop a constructor.
  explicit TestDatabase(Backend backend) : backend_(backend) {
    if (backend == Backend::kSqlite) {
      std::string tmpl = (std::filesystem::temp_directory_path() / "hydra-store-XXXXXX").string();
      if (!mkdtemp(tmpl.data())) return;
      dir_ = tmpl;
      url_ = "sqlite:" + dir_ + "/test.db";
    } else {
      if (pg_url().empty()) return;
      schema_ = "test_" + random_hex(8);
      admin_ = open_store(pg_url(), StoreOptions{.pool_size = 1});
      admin_->exec("CREATE SCHEMA " + schema_);
      url_ = with_pg_param(pg_url(), "options=-csearch_path%3D" + schema_);
    }
  }
  ~TestDatabase() {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    if (admin_) admin_->exec("DROP SCHEMA " + schema_ + " CASCADE");
  }

  bool ok() const { return !url_.empty(); }
  const std::string& url() const { return url_; }
  Backend backend() const { return backend_; }
  std::unique_ptr<Store> open(StoreOptions opts = {}) const { return open_store(url_, opts); }

 private:
  Backend backend_;
  std::string dir_;
  std::string schema_;
  std::string url_;
  std::unique_ptr<Store> admin_;
};

// Base fixture: db() is fresh for each test.
class BackendTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kPostgres && pg_url().empty()) GTEST_FAIL() << kMissingPgUrl;
    db_ = std::make_unique<TestDatabase>(GetParam());
    ASSERT_TRUE(db_->ok()) << "could not create a test database";
  }
  TestDatabase& db() { return *db_; }

 private:
  std::unique_ptr<TestDatabase> db_;
};

}  // namespace hydra::store::testing
