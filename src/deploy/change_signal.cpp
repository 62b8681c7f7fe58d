#include "deploy/change_signal.h"

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>

namespace hydra::deploy {
namespace {

std::mutex mu;
std::condition_variable cv;
uint64_t version = 0;
uint64_t seen = 0;
std::mutex listeners_mu;
std::map<int, std::function<void()>> listeners;
int next_handle = 1;

}  // namespace

void notify_deployments_changed() {
  {
    std::lock_guard<std::mutex> lock(mu);
    ++version;
  }
  cv.notify_all();
  std::map<int, std::function<void()>> copy;
  {
    std::lock_guard<std::mutex> lock(listeners_mu);
    copy = listeners;
  }
  for (auto& [h, fn] : copy) fn();
}

int add_change_listener(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(listeners_mu);
  int h = next_handle++;
  listeners[h] = std::move(fn);
  return h;
}

void remove_change_listener(int handle) {
  std::lock_guard<std::mutex> lock(listeners_mu);
  listeners.erase(handle);
}

bool wait_deployments_changed(int64_t timeout_ms) {
  std::unique_lock<std::mutex> lock(mu);
  bool hit =
      cv.wait_for(lock, std::chrono::milliseconds(timeout_ms), [] { return version != seen; });
  seen = version;
  return hit;
}

}  // namespace hydra::deploy
