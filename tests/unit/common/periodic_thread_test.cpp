#include "common/periodic_thread.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace hydra {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(PeriodicThread, RunsEveryIntervalAndSurvivesAFailingRound) {
  std::atomic<int> rounds{0};
  PeriodicThread t;
  t.start("test task", 5, [&] {
    if (++rounds == 2) throw std::runtime_error("second round fails");
  });
  auto deadline = Clock::now() + 5s;
  while (rounds < 5 && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
  t.stop();
  EXPECT_GE(rounds.load(), 5);
  int after_stop = rounds;
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(rounds.load(), after_stop);  // nothing runs after stop()
}

TEST(PeriodicThread, FirstRoundWaitsAnIntervalUnlessAskedToRunAtStart) {
  std::atomic<int> waited{0}, eager{0};
  PeriodicThread a, b;
  a.start("waits", 60000, [&] { ++waited; });
  b.start(
      "eager", 60000, [&] { ++eager; }, /*run_at_start=*/true);
  auto deadline = Clock::now() + 5s;
  while (eager == 0 && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(eager.load(), 1);
  EXPECT_EQ(waited.load(), 0);
  // stop() wakes the thread instead of waiting out the minute.
  auto t0 = Clock::now();
  a.stop();
  b.stop();
  EXPECT_LT(Clock::now() - t0, 2s);
}

}  // namespace
}  // namespace hydra
