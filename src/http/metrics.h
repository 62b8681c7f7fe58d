#pragma once
// A small Prometheus registry: counters, gauges and histograms with labels,
// rendered in the text exposition format (checked with promtool in tests).
//
// Every label set's value lives in a cell that never moves once created.
// The name-and-labels calls (counter_add, observe, ...) find the cell under
// the registry's lock; a hot path resolves its cells once (counter(),
// histogram()) and then updates them with atomics, without lock, label
// strings or lookups.
//
// Counter and histogram cells are split in per-thread shards on cache
// lines of their own, summed when rendered: every request of every network
// thread updates the same few cells, and one shared atomic would move
// between the cores' caches on each of them.
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace hydra::http {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
  struct HistogramCells;

 public:
  static constexpr size_t kShards = 8;
  // This thread's shard; threads take shards in turn.
  static size_t shard();

  struct alignas(64) ValueShard {
    std::atomic<double> v{0};
  };
  // A counter's shards, or a gauge's (which uses the first only: a gauge is
  // set, and a set cannot be split).
  struct ValueCells {
    std::array<ValueShard, kShards> shards;
    double value() const;
  };

  // A resolved counter or gauge cell; valid as long as its registry.
  class Counter {
   public:
    Counter() = default;
    void add(double v = 1) const {
      cells_->shards[sharded_ ? shard() : 0].v.fetch_add(v, std::memory_order_relaxed);
    }
    void set(double v) const { cells_->shards[0].v.store(v, std::memory_order_relaxed); }
    explicit operator bool() const { return cells_ != nullptr; }

   private:
    friend class Metrics;
    Counter(ValueCells* cells, bool sharded) : cells_(cells), sharded_(sharded) {}
    ValueCells* cells_ = nullptr;
    bool sharded_ = false;
  };

  // A resolved histogram cell; valid as long as its registry.
  class Histogram {
   public:
    Histogram() = default;
    void observe(double v) const;
    explicit operator bool() const { return h_ != nullptr; }

   private:
    friend class Metrics;
    explicit Histogram(HistogramCells* h) : h_(h) {}
    HistogramCells* h_ = nullptr;
  };

  void describe(const std::string& name, const std::string& type, const std::string& help);
  // Buckets must have been given to describe_histogram before the first
  // sample of the family.
  void describe_histogram(const std::string& name, const std::string& help,
                          std::vector<double> buckets);

  Counter counter(const std::string& name, const Labels& labels);
  Counter gauge(const std::string& name, const Labels& labels);
  Histogram histogram(const std::string& name, const Labels& labels);

  void counter_add(const std::string& name, const Labels& labels, double v = 1);
  void gauge_set(const std::string& name, const Labels& labels, double v);
  void gauge_add(const std::string& name, const Labels& labels, double v);
  // A gauge without labels read from `read` when rendered, for values the
  // owner already keeps (no registry update on the hot path).
  void gauge_fn(const std::string& name, std::function<double()> read);
  void observe(const std::string& name, const Labels& labels, double v);
  std::string render() const;

 private:
  // Per shard, whole cache lines: counts per bucket (cumulated when
  // rendered), then the count, then the sum's bits.
  struct HistogramCells {
    explicit HistogramCells(const std::vector<double>& b);
    std::atomic<uint64_t>* shard_slots(size_t s) const { return slots + s * stride; }
    uint64_t total(size_t slot) const;  // a slot summed over the shards
    double sum() const;
    const std::vector<double> buckets;  // upper bounds, +Inf implied
    const size_t stride;                // slots per shard
    std::unique_ptr<std::atomic<uint64_t>[]> storage;
    std::atomic<uint64_t>* slots;  // in storage, on a cache line's start
  };
  struct Family {
    std::string type;
    std::string help;
    std::vector<double> buckets;
    std::map<std::string, ValueCells> values;  // rendered label set -> value
    std::map<std::string, HistogramCells> histograms;
    std::function<double()> read;  // gauge_fn
  };
  static std::string render_labels(const Labels& labels);
  Counter cell(const std::string& name, const Labels& labels, const char* type);
  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

// The cells a hot path resolved once per key (a route, a model), so each
// request pays one short lock and one lookup by a string it already has.
// `make` runs once per key, under the lock; references stay valid (the
// map's nodes never move).
//
// Each thread remembers the key it looked up last: requests on a thread
// mostly repeat it, and then the lookup takes no lock shared with the other
// threads.
template <class Cells>
class CellCache {
 public:
  template <class Make>
  const Cells& get(const std::string& key, Make&& make) {
    // Remembered by the cache's id, not its address: a new cache may be
    // built where a destroyed one was.
    thread_local Memo last;
    if (last.cache == id_ && last.key == key) return *last.cells;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cells_.find(key);
    if (it == cells_.end()) it = cells_.emplace(key, make()).first;
    last = Memo{id_, key, &it->second};
    return it->second;
  }

 private:
  struct Memo {
    uint64_t cache = 0;  // no cache has id 0
    std::string key;
    const Cells* cells = nullptr;
  };
  static uint64_t next_id() {
    static std::atomic<uint64_t> n{0};
    return ++n;
  }

  const uint64_t id_ = next_id();
  std::mutex mu_;
  std::unordered_map<std::string, Cells> cells_;
};

}  // namespace hydra::http
