#pragma once
// A background thread that runs one task every interval until stopped: the
// pollers that follow the store (routes, limits, probes) share it. stop()
// wakes the thread at once instead of waiting out the interval.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace hydra {

class PeriodicThread {
 public:
  PeriodicThread() = default;
  ~PeriodicThread();
  PeriodicThread(const PeriodicThread&) = delete;
  PeriodicThread& operator=(const PeriodicThread&) = delete;

  // Runs `task` every `interval_ms` (first at once when `run_at_start`).
  // An exception from the task is logged under `name` and the next round
  // runs as planned. Does nothing when already running.
  void start(std::string name, int64_t interval_ms, std::function<void()> task,
             bool run_at_start = false);
  // Wakes and joins the thread; a round in progress finishes first.
  void stop();

 private:
  void run();

  std::string name_;
  int64_t interval_ms_ = 0;
  bool run_at_start_ = false;
  std::function<void()> task_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace hydra
