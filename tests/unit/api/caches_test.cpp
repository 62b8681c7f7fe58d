// The in-memory caches of console answers and sessions: an entry is only
// valid for the version it was stored under and for its time to live.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "api/answer_cache.h"
#include "api/session_cache.h"

namespace hydra::api {
namespace {

TEST(AnswerCache, HitsOnlyForTheSameVersion) {
  AnswerCache cache;
  EXPECT_FALSE(cache.find("user /api/v1/models", 1));
  cache.put("user /api/v1/models", 1, "{\"items\":[]}");
  ASSERT_TRUE(cache.find("user /api/v1/models", 1));
  EXPECT_EQ(*cache.find("user /api/v1/models", 1), "{\"items\":[]}");
  EXPECT_FALSE(cache.find("user /api/v1/models", 2));    // the data changed since
  EXPECT_FALSE(cache.find("admin /api/v1/models", 1));  // another visibility
}

TEST(AnswerCache, EntriesExpire) {
  AnswerCache cache(16, 30);
  cache.put("k", 1, "body");
  EXPECT_TRUE(cache.find("k", 1));
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_FALSE(cache.find("k", 1));
}

TEST(AnswerCache, StaysWithinItsSize) {
  AnswerCache cache(4, 60000);
  for (int i = 0; i < 4; ++i) cache.put("k" + std::to_string(i), 1, "b");
  EXPECT_TRUE(cache.find("k3", 1));
  cache.put("k4", 1, "b");  // full: starts over
  EXPECT_TRUE(cache.find("k4", 1));
  EXPECT_FALSE(cache.find("k0", 1));
}

TEST(SessionCache, HitsOnlyForTheSameEpochAndExpires) {
  SessionCache cache(16, 30);
  auth::Caller c;
  c.user_id = "u1";
  c.role = "admin";
  cache.put("token", 7, c);
  auto hit = cache.find("token", 7);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->user_id, "u1");
  EXPECT_TRUE(hit->admin());
  EXPECT_FALSE(cache.find("token", 8));  // a logout or user change since
  EXPECT_FALSE(cache.find("other", 7));
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_FALSE(cache.find("token", 7));
}

}  // namespace
}  // namespace hydra::api
