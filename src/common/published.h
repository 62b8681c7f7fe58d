#pragma once
// A value one writer replaces now and then and every request reads: route
// tables, rule sets. Readers get a shared_ptr to the current value without
// touching memory the other threads write.
//
// Why not std::atomic<std::shared_ptr>: its load() takes a lock bit and
// bumps a reference count that every thread shares, so on a proxy's network
// threads each read moves two cache lines between cores. Here each thread
// keeps its own reference to the current value, behind a counter only that
// thread touches, and compares one version number, which changes only when
// the writer publishes, before it uses it.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

namespace hydra {

template <class T>
class Published {
 public:
  explicit Published(std::shared_ptr<const T> first) : value_(std::move(first)) {}
  Published(const Published&) = delete;
  Published& operator=(const Published&) = delete;

  void publish(std::shared_ptr<const T> next) {
    std::lock_guard<std::mutex> lock(mu_);
    value_ = std::move(next);
    version_.fetch_add(1, std::memory_order_release);
  }

  // The current value. The reference is this thread's and stays valid until
  // the thread's next get() of a Published<T>; copy it to keep the value
  // longer (copies count on this thread's counter).
  const std::shared_ptr<const T>& get() const {
    thread_local Local mine;
    uint64_t v = version_.load(std::memory_order_acquire);
    if (mine.owner != id_ || mine.version != v) refresh(mine);
    return mine.value;
  }

 private:
  struct Local {
    uint64_t owner = 0;  // the Published's id: no instance has 0
    uint64_t version = 0;
    std::shared_ptr<const T> value;
  };

  // The thread's reference holds the shared one: while any copy of it lives,
  // so does the value.
  void refresh(Local& mine) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto holder = std::make_shared<const std::shared_ptr<const T>>(value_);
    mine.value = std::shared_ptr<const T>(holder, holder->get());
    mine.version = version_.load(std::memory_order_relaxed);
    mine.owner = id_;
  }

  static uint64_t next_id() {
    static std::atomic<uint64_t> n{0};
    return ++n;
  }

  const uint64_t id_ = next_id();
  mutable std::mutex mu_;
  std::shared_ptr<const T> value_;
  std::atomic<uint64_t> version_{0};
};

}  // namespace hydra
