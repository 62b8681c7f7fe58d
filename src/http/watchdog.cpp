#include "http/watchdog.h"

#include <boost/asio/steady_timer.hpp>
#include <chrono>

#include "common/clock.h"

namespace hydra::http {

struct Watchdog::State {
  boost::asio::steady_timer timer;
  std::function<void()> on_expire;
  int64_t deadline_ns = 0;    // mono_ns; 0 while nothing is watched
  int64_t waiting_until = 0;  // when the pending wait ends; 0 when none is pending
  uint64_t wait_gen = 0;      // which pending wait is the live one
  bool expired = false;

  State(boost::asio::any_io_executor ex, std::function<void()> fn)
      : timer(std::move(ex)), on_expire(std::move(fn)) {}
};

namespace {

void wait_until(const std::shared_ptr<Watchdog::State>& s, int64_t until_ns);

void on_wait(const std::weak_ptr<Watchdog::State>& weak, uint64_t gen,
             boost::system::error_code ec) {
  auto s = weak.lock();
  // Cancelled (a sooner wait replaced this one, or the watchdog is gone).
  if (ec || !s || gen != s->wait_gen) return;
  s->waiting_until = 0;
  if (s->deadline_ns == 0) return;
  if (mono_ns() < s->deadline_ns) {
    wait_until(s, s->deadline_ns);  // the deadline moved on since this wait began
    return;
  }
  s->deadline_ns = 0;
  s->expired = true;
  s->on_expire();
}

void wait_until(const std::shared_ptr<Watchdog::State>& s, int64_t until_ns) {
  s->waiting_until = until_ns;
  uint64_t gen = ++s->wait_gen;
  s->timer.expires_at(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(until_ns)));
  s->timer.async_wait([weak = std::weak_ptr<Watchdog::State>(s),
                       gen](boost::system::error_code ec) { on_wait(weak, gen, ec); });
}

}  // namespace

Watchdog::Watchdog(boost::asio::any_io_executor ex, std::function<void()> on_expire)
    : state_(std::make_shared<State>(std::move(ex), std::move(on_expire))) {}

Watchdog::~Watchdog() {
  state_->timer.cancel();
}

void Watchdog::arm(int64_t ms) {
  arm(ms, mono_ns());
}

void Watchdog::arm(int64_t ms, int64_t now_ns) {
  State& s = *state_;
  s.deadline_ns = now_ns + ms * 1000000;
  if (s.waiting_until != 0 && s.waiting_until <= s.deadline_ns) return;
  wait_until(state_, s.deadline_ns);
}

void Watchdog::disarm() {
  state_->deadline_ns = 0;
}

bool Watchdog::expired() const {
  return state_->expired;
}

}  // namespace hydra::http
