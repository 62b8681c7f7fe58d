#pragma once
// Hands a request's token events from the decode thread to the coroutine
// serving it, without polling: deliver() queues the event and posts a
// wakeup to the coroutine's executor (its connection's network thread), which
// cancels the timer the coroutine sleeps on. The timer lives in the
// coroutine's frame; the wakeup only touches it through the pointer the
// coroutine registers, and both run on the same thread.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "engine/runtime/runtime.h"

namespace hydra::engine {

class EventChannel : public EventSink, public std::enable_shared_from_this<EventChannel> {
 public:
  explicit EventChannel(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

  void deliver(TokenEvent event) override;
  // Waits until at least one event is queued and takes all queued events.
  // Must be awaited from a coroutine running on `executor`.
  boost::asio::awaitable<std::vector<TokenEvent>> next();
  // The same, but gives up after `limit` with no events (an empty list), so
  // the caller can look at its client in between.
  boost::asio::awaitable<std::vector<TokenEvent>> next_within(std::chrono::milliseconds limit);

 private:
  void wake();
  boost::asio::awaitable<std::vector<TokenEvent>> next_until(
      boost::asio::steady_timer::time_point deadline);

  boost::asio::any_io_executor executor_;
  std::mutex mu_;
  std::deque<TokenEvent> queue_;
  boost::asio::steady_timer* sleeper_ = nullptr;  // touched only on executor_
};

}  // namespace hydra::engine
