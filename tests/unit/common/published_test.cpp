#include "common/published.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace hydra {
namespace {

TEST(Published, ReadersSeeEachPublishedValue) {
  Published<std::string> p(std::make_shared<const std::string>("one"));
  EXPECT_EQ(*p.get(), "one");
  p.publish(std::make_shared<const std::string>("two"));
  EXPECT_EQ(*p.get(), "two");
  std::string seen;
  std::thread other([&] { seen = *p.get(); });
  other.join();
  EXPECT_EQ(seen, "two");
}

// A copy taken before a publish keeps its value alive; the old value is
// freed once the last copy goes.
TEST(Published, CopiesKeepTheirValue) {
  Published<std::string> p(std::make_shared<const std::string>("old"));
  std::weak_ptr<const std::string> old_value;
  {
    auto held = std::make_shared<const std::string>("first");
    old_value = held;
    p.publish(std::move(held));
  }
  std::shared_ptr<const std::string> kept = p.get();
  p.publish(std::make_shared<const std::string>("second"));
  EXPECT_EQ(*p.get(), "second");  // this thread moves on...
  EXPECT_EQ(*kept, "first");      // ...and the copy still reads its value
  EXPECT_FALSE(old_value.expired());
  kept.reset();
  EXPECT_TRUE(old_value.expired());
}

// Two instances of one type on one thread each give their own value, also
// one built where a destroyed one was.
TEST(Published, InstancesDoNotShareAThreadsValue) {
  Published<int> a(std::make_shared<const int>(1));
  Published<int> b(std::make_shared<const int>(2));
  EXPECT_EQ(*a.get(), 1);
  EXPECT_EQ(*b.get(), 2);
  EXPECT_EQ(*a.get(), 1);
  for (int i = 0; i < 3; ++i) {
    auto c = std::make_unique<Published<int>>(std::make_shared<const int>(10 + i));
    EXPECT_EQ(*c->get(), 10 + i);
  }
}

// Readers on several threads while a writer publishes rising values: no
// reader sees a value go back, and every reader sees the last one.
TEST(Published, ConcurrentReadersFollowTheWriter) {
  Published<int> p(std::make_shared<const int>(0));
  constexpr int kLast = 2000;
  std::atomic<bool> went_back{false};
  std::vector<std::thread> readers;
  readers.reserve(4);
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      int last = 0;
      while (last < kLast) {
        // A copy, as a request that keeps the value takes one.
        // NOLINTNEXTLINE(performance-unnecessary-copy-initialization)
        std::shared_ptr<const int> v = p.get();
        if (*v < last) went_back = true;
        last = *v;
      }
    });
  }
  for (int i = 1; i <= kLast; ++i) p.publish(std::make_shared<const int>(i));
  for (auto& r : readers) r.join();
  EXPECT_FALSE(went_back);
  EXPECT_EQ(*p.get(), kLast);
}

}  // namespace
}  // namespace hydra
