#include "common/thread_priority.h"

#include <pthread.h>
#include <sched.h>

namespace hydra {

bool set_thread_priority(std::thread::native_handle_type thread, ThreadPriority p) {
  sched_param param{};
  param.sched_priority = 0;  // the only value SCHED_OTHER and SCHED_IDLE accept
  int policy = p == ThreadPriority::idle ? SCHED_IDLE : SCHED_OTHER;
  return pthread_setschedparam(thread, policy, &param) == 0;
}

bool set_thread_priority(ThreadPriority p) {
  return set_thread_priority(pthread_self(), p);
}

bool idle_priority_reversible() {
  static const bool reversible = [] {
    bool ok = false;
    std::thread probe([&ok] {
      ok = set_thread_priority(ThreadPriority::idle) && set_thread_priority(ThreadPriority::normal);
    });
    probe.join();
    return ok;
  }();
  return reversible;
}

}  // namespace hydra
