#include "common/thread_priority.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <thread>

namespace hydra {
namespace {

int policy_of_this_thread() {
  int policy = -1;
  sched_param param{};
  pthread_getschedparam(pthread_self(), &policy, &param);
  return policy;
}

TEST(ThreadPriority, IdleAndBackOnlyWhereTheSystemAllowsIt) {
  bool reversible = idle_priority_reversible();
  int idle_policy = -1, normal_policy = -1;
  bool back = false;
  std::thread t([&] {
    ASSERT_TRUE(set_thread_priority(ThreadPriority::idle));  // lowering is always allowed
    idle_policy = policy_of_this_thread();
    back = set_thread_priority(ThreadPriority::normal);
    normal_policy = policy_of_this_thread();
  });
  t.join();
  EXPECT_EQ(idle_policy, SCHED_IDLE);
  EXPECT_EQ(back, reversible);  // the probe predicts what a thread may do
  EXPECT_EQ(normal_policy, reversible ? SCHED_OTHER : SCHED_IDLE);
  EXPECT_EQ(policy_of_this_thread(), SCHED_OTHER);  // other threads keep theirs
}

}  // namespace
}  // namespace hydra
