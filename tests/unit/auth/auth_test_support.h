#pragma once
// A fresh SQLite store in a temporary directory for each test, and users
// made with one precomputed password hash (argon2id is slow on purpose).
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "audit/audit.h"
#include "auth/password.h"
#include "auth/users.h"
#include "common/config.h"
#include "common/random.h"
#include "store/store.h"

namespace hydra::auth::testing {

inline constexpr const char* kPassword = "correct horse battery";

inline const std::string& shared_hash() {
  static const std::string h = hash_password(kPassword);
  return h;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("hydra-auth-" + random_hex(8));
    std::filesystem::create_directories(dir_);
    db_path_ = (dir_ / "hydra.db").string();
    store_ = store::open_store("sqlite:" + db_path_);
    store_->migrate();
    cfg_.max_keys_per_user = 5;
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  User make_user(const std::string& name, const std::string& role = "user") {
    NewUser nu;
    nu.name = name;
    nu.role = role;
    nu.password_hash = shared_hash();
    User u;
    store_->transact([&](store::Session& s) { u = create_user(s, nu); });
    return u;
  }

  int64_t count(const std::string& sql, const store::Params& params = {}) {
    return store_->query(sql, params)[0].i64("n");
  }
  int64_t audit_count(const std::string& action, const std::string& result = "success") {
    return count("SELECT COUNT(*) AS n FROM audit_events WHERE action = ? AND result = ?",
                 {action, result});
  }

  std::filesystem::path dir_;
  std::string db_path_;
  std::unique_ptr<store::Store> store_;
  Config cfg_;
};

}  // namespace hydra::auth::testing
