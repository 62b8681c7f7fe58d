#pragma once
// Scheduling class of background threads whose work must never delay a
// request: at idle priority (Linux SCHED_IDLE) a thread gets a core only when
// no normal thread wants it, so a request's thread that wakes up preempts it
// at once instead of waiting out the scheduler's time slice. A thread at idle
// priority starves while the machine is saturated, so one whose work must
// still get done goes back to normal priority when it falls behind; moving
// back needs CAP_SYS_NICE or an RLIMIT_NICE of 20 (see
// idle_priority_reversible()).
#include <thread>

namespace hydra {

enum class ThreadPriority { normal, idle };

// Sets a thread's scheduling class; false when the system refused.
bool set_thread_priority(std::thread::native_handle_type thread, ThreadPriority p);
// The same for the calling thread.
bool set_thread_priority(ThreadPriority p);

// True when a thread of this process may go from idle back to normal
// priority; probed once, on a scratch thread.
bool idle_priority_reversible();

}  // namespace hydra
