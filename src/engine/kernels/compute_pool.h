#pragma once
// The threads that share the forward pass. One pool per process; the caller
// of run() works too, so `threads` counts it. Tasks are handed out by an
// atomic counter, so a core slowed by other work takes fewer of them.
//
// Synchronisation is cheap between the many small parallel regions of a
// forward pass: idle workers spin for a short while before they sleep on a
// futex. run() returns as soon as every task is done, without waiting for
// workers that never got a core (on a busy machine a descheduled worker
// would otherwise hold up every region): tasks are claimed with a
// compare-and-swap on one word holding the region's number and the next
// task, so a late worker can never take a task of a later region.
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hydra::engine {

class ComputePool {
 public:
  // The process-wide pool, sized by HYDRA_ENGINE_THREADS or physical cores.
  static ComputePool& instance();

  explicit ComputePool(int threads);
  ~ComputePool();
  ComputePool(const ComputePool&) = delete;
  ComputePool& operator=(const ComputePool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }
  // Changes the number of threads (0: physical cores). Not while run() is
  // in progress on another thread.
  void resize(int threads);

  // Calls fn(task) for every task in [0, n_tasks) on the pool's threads and
  // returns when all are done. If another thread is already running work on
  // the pool, the tasks run on the caller alone (correct, not parallel).
  void run(int64_t n_tasks, const std::function<void(int64_t)>& fn);

 private:
  void start(int threads);
  void stop();
  void worker_loop(uint32_t seen);
  void work(uint32_t region);

  std::mutex run_mu_;  // one run() at a time uses the workers
  std::vector<std::thread> workers_;
  const std::function<void(int64_t)>* fn_ = nullptr;
  std::atomic<int64_t> n_tasks_{0};
  std::atomic<uint64_t> claim_{0};       // region number << 32 | next task
  std::atomic<int64_t> done_{0};         // tasks of the current region finished
  std::atomic<uint32_t> generation_{0};  // bumped to start work
  std::atomic<int> sleeping_{0};
  std::atomic<bool> stop_{false};
};

// Physical cores available to this process (at least 1).
int physical_core_count();

}  // namespace hydra::engine
