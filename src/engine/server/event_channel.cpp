#include "engine/server/event_channel.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace hydra::engine {

namespace asio = boost::asio;

void EventChannel::deliver(TokenEvent event) {
  {
    std::lock_guard lk(mu_);
    queue_.push_back(std::move(event));
  }
  asio::post(executor_, [self = shared_from_this()] { self->wake(); });
}

void EventChannel::wake() {
  if (sleeper_) sleeper_->cancel();
}

asio::awaitable<std::vector<TokenEvent>> EventChannel::next() {
  return next_until(asio::steady_timer::time_point::max());
}

asio::awaitable<std::vector<TokenEvent>> EventChannel::next_within(
    std::chrono::milliseconds limit) {
  return next_until(asio::steady_timer::clock_type::now() + limit);
}

asio::awaitable<std::vector<TokenEvent>> EventChannel::next_until(
    asio::steady_timer::time_point deadline) {
  asio::steady_timer timer(executor_, deadline);
  for (;;) {
    std::vector<TokenEvent> out;
    {
      std::lock_guard lk(mu_);
      while (!queue_.empty()) {
        out.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (!out.empty() || asio::steady_timer::clock_type::now() >= deadline) {
      sleeper_ = nullptr;
      co_return out;
    }
    // No await happens between the check above and registering the timer,
    // so a wakeup posted meanwhile runs after the wait began.
    sleeper_ = &timer;
    auto waited = timer.async_wait(asio::as_tuple(asio::use_awaitable));
    co_await std::move(waited);
    sleeper_ = nullptr;
  }
}

}  // namespace hydra::engine
