#include "common/periodic_thread.h"

#include <chrono>

#include "common/log.h"

namespace hydra {

PeriodicThread::~PeriodicThread() {
  stop();
}

void PeriodicThread::start(std::string name, int64_t interval_ms, std::function<void()> task,
                           bool run_at_start) {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  name_ = std::move(name);
  interval_ms_ = interval_ms;
  run_at_start_ = run_at_start;
  task_ = std::move(task);
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void PeriodicThread::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PeriodicThread::run() {
  std::unique_lock<std::mutex> lock(mu_);
  bool due = run_at_start_;
  while (!stopping_) {
    if (due) {
      lock.unlock();
      try {
        task_();
      } catch (const std::exception& e) {
        spdlog::warn("{}: {}", name_, e.what());
      }
      lock.lock();
    }
    due = true;
    cv_.wait_for(lock, std::chrono::milliseconds(interval_ms_), [this] { return stopping_; });
  }
}

}  // namespace hydra
