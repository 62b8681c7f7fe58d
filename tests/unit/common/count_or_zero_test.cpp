#include <gtest/gtest.h>

#include "common/json.h"

namespace hydra::json {
namespace {

TEST(CountOrZero, IntegersAndWholeFloatsCountEverythingElseIsZero) {
  EXPECT_EQ(count_or_zero(nullptr), 0);
  bj::value v = parse(R"([12, -3, 18446744073709551615, 7.0, 1.5, 1e300, "9", null, true])");
  const auto& a = v.as_array();
  EXPECT_EQ(count_or_zero(&a[0]), 12);
  EXPECT_EQ(count_or_zero(&a[1]), -3);
  EXPECT_EQ(count_or_zero(&a[2]), 0);  // beyond int64
  EXPECT_EQ(count_or_zero(&a[3]), 7);
  EXPECT_EQ(count_or_zero(&a[4]), 0);  // not a whole number (threw before)
  EXPECT_EQ(count_or_zero(&a[5]), 0);
  EXPECT_EQ(count_or_zero(&a[6]), 0);
  EXPECT_EQ(count_or_zero(&a[7]), 0);
  EXPECT_EQ(count_or_zero(&a[8]), 0);
}

}  // namespace
}  // namespace hydra::json
