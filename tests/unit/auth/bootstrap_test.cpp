#include "auth/bootstrap.h"

#include <gtest/gtest.h>

#include "auth/sessions.h"
#include "auth_test_support.h"
#include "common/error.h"

namespace hydra::auth {
namespace {

class Bootstrap : public testing::StoreTest {};

TEST_F(Bootstrap, CreatesExactlyOneAdminWithTheConfiguredPassword) {
  cfg_.admin_user = "admin";
  cfg_.admin_password = "configured-secret";
  BootstrapResult first = ensure_admin(*store_, cfg_);
  ASSERT_TRUE(first.created);
  EXPECT_EQ(first.name, "admin");
  EXPECT_FALSE(first.generated);
  EXPECT_TRUE(first.password.empty());  // a configured password is not echoed
  EXPECT_FALSE(ensure_admin(*store_, cfg_).created);
  EXPECT_FALSE(ensure_admin(*store_, cfg_).created);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM users WHERE role = 'admin'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM users"), 1);
  EXPECT_EQ(audit_count("CreateUser"), 1);

  LoginResult r = login(*store_, cfg_, {"admin", "configured-secret", "", ""});
  EXPECT_EQ(r.user.role, "admin");
  EXPECT_TRUE(resolve(*store_, r.token)->admin());
}

TEST_F(Bootstrap, GeneratedPasswordIsReturnedOnceAndWorks) {
  cfg_.admin_password.clear();
  BootstrapResult made = ensure_admin(*store_, cfg_);
  ASSERT_TRUE(made.created);
  ASSERT_TRUE(made.generated);
  EXPECT_GE(made.password.size(), 16u);
  EXPECT_NO_THROW(login(*store_, cfg_, {cfg_.admin_user, made.password, "", ""}));
  // Stored only as a hash; not in the audit detail either.
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM users WHERE password_hash LIKE ?",
                  {"%" + made.password + "%"}),
            0);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM audit_events WHERE detail LIKE ?",
                  {"%" + made.password + "%"}),
            0);
  EXPECT_FALSE(ensure_admin(*store_, cfg_).created);
}

TEST_F(Bootstrap, ExistingAdminMeansNothingToDo) {
  make_user("someone", "admin");
  EXPECT_FALSE(ensure_admin(*store_, cfg_).created);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM users"), 1);
}

TEST_F(Bootstrap, NameTakenByANonAdminIsAnError) {
  make_user("admin", "user");
  EXPECT_THROW(ensure_admin(*store_, cfg_), std::runtime_error);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM users WHERE role = 'admin'"), 0);
}

}  // namespace
}  // namespace hydra::auth
