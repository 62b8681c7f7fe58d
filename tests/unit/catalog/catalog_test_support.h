#pragma once
// A fresh store for each test: SQLite in a temporary directory, or, with
// HYDRA_CATALOG_BACKEND=postgres, a throwaway schema in the database at
// HYDRA_TEST_PG_URL (see scripts/with-postgres.sh).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "../store/test_database.h"
#include "audit/audit.h"
#include "catalog/change_log.h"
#include "common/random.h"
#include "store/store.h"

namespace hydra::catalog::testing {

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("hydra-catalog-" + random_hex(8));
    std::filesystem::create_directories(dir_);
    store::StoreOptions opts;
    opts.synchronous = "NORMAL";
    const char* backend = std::getenv("HYDRA_CATALOG_BACKEND");
    if (backend && std::string(backend) == "postgres") {
      ASSERT_FALSE(store::testing::pg_url().empty()) << store::testing::kMissingPgUrl;
      pg_ = std::make_unique<store::testing::TestDatabase>(store::testing::Backend::kPostgres);
      ASSERT_TRUE(pg_->ok());
      st_ = pg_->open(opts);
    } else {
      st_ = store::open_store("sqlite:" + (dir_ / "hydra.db").string(), opts);
    }
    st_->migrate();
    actor_.actor_id = "u-admin";
    actor_.actor_name = "admin";
    actor_.source_ip = "127.0.0.1";
  }
  void TearDown() override {
    st_.reset();
    pg_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Audit events with this action (and resource id, when given).
  int64_t audit_count(const std::string& action, const std::string& resource_id = {}) {
    audit::Query q;
    q.action = action;
    q.resource_id = resource_id;
    q.limit = 1000;
    return audit::query(*st_, q).total;
  }

  int64_t count(const std::string& table) {
    return st_->query("SELECT COUNT(*) AS n FROM " + table)[0].i64("n");
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::testing::TestDatabase> pg_;
  std::unique_ptr<store::Store> st_;
  Actor actor_;
};

}  // namespace hydra::catalog::testing
