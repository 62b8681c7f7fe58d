#include "engine/kernels/compute_pool.h"

#include <immintrin.h>
#include <sched.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <utility>

namespace hydra::engine {
namespace {

// How long an idle worker keeps polling before it sleeps: longer than the
// gap between two layers' parallel regions, far shorter than an idle server.
constexpr auto kSpin = std::chrono::microseconds(300);

int env_threads() {
  const char* env = std::getenv("HYDRA_ENGINE_THREADS");
  if (env == nullptr) return 0;
  return std::atoi(env);
}

int read_int(const std::string& path) {
  std::ifstream in(path);
  int v = -1;
  in >> v;
  return v;
}

}  // namespace

int physical_core_count() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  std::set<std::pair<int, int>> cores;
  int logical = 0;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &set)) continue;
    ++logical;
    const std::string base = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
    const int core = read_int(base + "core_id"), package = read_int(base + "physical_package_id");
    if (core < 0) return logical > 0 ? CPU_COUNT(&set) : 1;  // no topology: count logical CPUs
    cores.emplace(package, core);
  }
  return cores.empty() ? 1 : static_cast<int>(cores.size());
}

ComputePool& ComputePool::instance() {
  static ComputePool pool(env_threads());
  return pool;
}

ComputePool::ComputePool(int threads) {
  start(threads);
}

ComputePool::~ComputePool() {
  stop();
}

void ComputePool::resize(int threads) {
  std::lock_guard lk(run_mu_);
  stop();
  start(threads);
}

void ComputePool::start(int threads) {
  if (threads <= 0) threads = physical_core_count();
  stop_.store(false);
  // Each worker starts from the current generation, read here: read in the
  // new thread it could already include the first run() and miss it.
  const uint32_t seen = generation_.load(std::memory_order_acquire);
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this, seen] { worker_loop(seen); });
}

void ComputePool::stop() {
  stop_.store(true);
  generation_.fetch_add(1, std::memory_order_release);
  generation_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

void ComputePool::work(uint32_t region) {
  for (;;) {
    uint64_t c = claim_.load(std::memory_order_acquire);
    if ((c >> 32) != region) return;  // a later region began: not ours to touch
    const auto task = static_cast<int64_t>(c & 0xffffffffu);
    if (task >= n_tasks_.load(std::memory_order_acquire)) return;
    if (!claim_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel)) continue;
    // The region cannot end before this task is done, so fn_ is still its.
    (*fn_)(task);
    done_.fetch_add(1, std::memory_order_acq_rel);
  }
}

void ComputePool::worker_loop(uint32_t seen) {
  for (;;) {
    auto deadline = std::chrono::steady_clock::now() + kSpin;
    uint32_t g;
    int polls = 0;
    while ((g = generation_.load(std::memory_order_acquire)) == seen) {
      _mm_pause();
      if (++polls % 64 == 0 && std::chrono::steady_clock::now() > deadline) {
        sleeping_.fetch_add(1);
        generation_.wait(seen, std::memory_order_acquire);
        sleeping_.fetch_sub(1);
        deadline = std::chrono::steady_clock::now() + kSpin;
      }
    }
    seen = g;
    if (stop_.load()) return;
    work(g);
  }
}

void ComputePool::run(int64_t n_tasks, const std::function<void(int64_t)>& fn) {
  if (n_tasks <= 0) return;
  std::unique_lock lk(run_mu_, std::try_to_lock);
  if (!lk.owns_lock() || workers_.empty() || n_tasks == 1) {
    for (int64_t t = 0; t < n_tasks; ++t) fn(t);
    return;
  }
  // Workers of the previous region may still be between their last failed
  // claim and going back to wait; they only read claim_, which names the
  // old region until the store below.
  const uint32_t region = generation_.load(std::memory_order_relaxed) + 1;
  fn_ = &fn;
  n_tasks_.store(n_tasks, std::memory_order_relaxed);
  done_.store(0, std::memory_order_relaxed);
  claim_.store(static_cast<uint64_t>(region) << 32, std::memory_order_release);
  generation_.store(region, std::memory_order_release);
  if (sleeping_.load() > 0) generation_.notify_all();
  work(region);
  int polls = 0;
  while (done_.load(std::memory_order_acquire) < n_tasks) {
    _mm_pause();
    if (++polls % 4096 == 0) std::this_thread::yield();
  }
}

}  // namespace hydra::engine
