#pragma once
// A deadline for the current step of a connection (reading a request,
// writing an answer, waiting for an upstream): when it passes, `on_expire`
// runs, which closes the socket and so fails whatever I/O is pending.
//
// Steps follow each other with later deadlines, so a wait already pending
// is left alone and re-checks the deadline when it fires; only a deadline
// sooner than the pending wait re-schedules the timer. A busy connection
// thus costs no timer operation per request, where a timer armed and
// cancelled for every step cost a system call and a handler run each.
//
// Not thread-safe: use it on the executor it was made with, where the
// connection's I/O runs. Destroying it stops it; `on_expire` never runs
// after that.
#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <functional>
#include <memory>

namespace hydra::http {

class Watchdog {
 public:
  Watchdog(boost::asio::any_io_executor ex, std::function<void()> on_expire);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  void arm(int64_t ms);  // the current step must end within `ms`
  // The same from `now_ns` (mono_ns()), for a caller that has just read the
  // clock: a connection's loop arms it several times per request.
  void arm(int64_t ms, int64_t now_ns);
  void disarm();         // nothing to watch until the next arm()
  bool expired() const;  // on_expire has run

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace hydra::http
