#include "http/watchdog.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>

namespace hydra::http {
namespace {

using namespace std::chrono_literals;
namespace net = boost::asio;

// Runs `fn` on the context after `delay`.
template <class Fn>
void at(net::io_context& io, std::chrono::milliseconds delay, Fn fn) {
  auto t = std::make_shared<net::steady_timer>(io, delay);
  t->async_wait([t, fn](boost::system::error_code) { fn(); });
}

TEST(Watchdog, FiresOnceWhenTheDeadlinePasses) {
  net::io_context io;
  int fired = 0;
  Watchdog dog(io.get_executor(), [&] { ++fired; });
  dog.arm(30);
  io.run_for(15ms);
  EXPECT_EQ(fired, 0);
  io.run_for(200ms);
  EXPECT_EQ(fired, 1);
  EXPECT_TRUE(dog.expired());
}

TEST(Watchdog, NeverFiresBeforeItsTime) {
  for (int i = 0; i < 20; ++i) {
    net::io_context io;
    std::chrono::steady_clock::time_point fired_at{};
    Watchdog dog(io.get_executor(), [&] { fired_at = std::chrono::steady_clock::now(); });
    auto armed_at = std::chrono::steady_clock::now();
    dog.arm(5);
    io.run_for(200ms);
    ASSERT_TRUE(dog.expired());
    EXPECT_GE(fired_at - armed_at, 5ms);
  }
}

TEST(Watchdog, ALaterDeadlinePostponesIt) {
  net::io_context io;
  int fired = 0;
  Watchdog dog(io.get_executor(), [&] { ++fired; });
  dog.arm(80);
  at(io, 50ms, [&] { dog.arm(80); });  // the first wait fires at 80 ms and finds 130 ms
  io.run_for(110ms);
  EXPECT_EQ(fired, 0) << "the deadline was moved on";
  io.run_for(200ms);
  EXPECT_EQ(fired, 1);
}

TEST(Watchdog, ASoonerDeadlineIsNotLate) {
  net::io_context io;
  int fired = 0;
  Watchdog dog(io.get_executor(), [&] { ++fired; });
  dog.arm(10000);
  dog.arm(30);
  io.run_for(300ms);
  EXPECT_EQ(fired, 1);
}

TEST(Watchdog, DisarmedOrDestroyedItNeverFires) {
  net::io_context io;
  int fired = 0;
  Watchdog dog(io.get_executor(), [&] { ++fired; });
  dog.arm(20);
  dog.disarm();
  {
    Watchdog gone(io.get_executor(), [&] { ++fired; });
    gone.arm(20);
  }
  io.run_for(150ms);
  EXPECT_EQ(fired, 0);
  EXPECT_FALSE(dog.expired());
  dog.arm(20);  // armed again after a disarm, it watches again
  io.restart();
  io.run_for(150ms);
  EXPECT_EQ(fired, 1);
}

}  // namespace
}  // namespace hydra::http
