#include "auth/password.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace hydra::auth {
namespace {

TEST(Password, HashVerifiesOnlyTheSamePassword) {
  std::string h = hash_password("s3cret-pass");
  EXPECT_TRUE(h.starts_with("$argon2id$")) << h;
  EXPECT_EQ(h.find("s3cret-pass"), std::string::npos);
  EXPECT_TRUE(verify_password(h, "s3cret-pass"));
  EXPECT_FALSE(verify_password(h, "s3cret-pasS"));
  EXPECT_FALSE(verify_password(h, ""));
}

TEST(Password, SaltMakesEveryHashDifferent) {
  EXPECT_NE(hash_password("same-password"), hash_password("same-password"));
}

TEST(Password, PolicyRejectsShortAndHugePasswords) {
  EXPECT_THROW(hash_password("short"), ApiError);
  EXPECT_THROW(hash_password(std::string(kMaxPasswordLength + 1, 'x')), ApiError);
  try {
    hash_password("1234567");
    FAIL() << "7 characters accepted";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kParamError);
    EXPECT_EQ(e.param(), "password");
  }
  EXPECT_NO_THROW(check_password_policy("12345678"));
}

TEST(Password, MalformedHashNeverVerifies) {
  EXPECT_FALSE(verify_password("", "anything-long"));
  EXPECT_FALSE(verify_password("not a hash", "not a hash"));
  EXPECT_FALSE(verify_password(std::string(500, '$'), "anything-long"));
}

TEST(Password, DummyHashIsStableAndRejectsGuesses) {
  const std::string& a = dummy_password_hash();
  EXPECT_EQ(&a, &dummy_password_hash());
  EXPECT_TRUE(a.starts_with("$argon2id$"));
  EXPECT_FALSE(verify_password(a, "password123"));
}

}  // namespace
}  // namespace hydra::auth
