#pragma once
// A small Prometheus registry: counters, gauges and histograms with labels,
// rendered in the text exposition format (checked with promtool in tests).
//
// Every label set's value lives in a cell that never moves once created.
// The name-and-labels calls (counter_add, observe, ...) find the cell under
// the registry's lock; a hot path resolves its cells once (counter(),
// histogram()) and then updates them with atomics, without lock, label
// strings or lookups.
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
  // A resolved counter or gauge cell; valid as long as its registry.
  class Counter {
   public:
    Counter() = default;
    void add(double v = 1) const { v_->fetch_add(v, std::memory_order_relaxed); }
    void set(double v) const { v_->store(v, std::memory_order_relaxed); }
    explicit operator bool() const { return v_ != nullptr; }

   private:
    friend class Metrics;
    explicit Counter(std::atomic<double>* v) : v_(v) {}
    std::atomic<double>* v_ = nullptr;
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
  struct HistogramCells {
    explicit HistogramCells(const std::vector<double>& b)
        : buckets(b), counts(std::make_unique<std::atomic<uint64_t>[]>(b.size())) {}
    const std::vector<double> buckets;                // upper bounds, +Inf implied
    std::unique_ptr<std::atomic<uint64_t>[]> counts;  // per bucket, cumulated when rendered
    std::atomic<double> sum{0};
    std::atomic<uint64_t> count{0};
  };
  struct Family {
    std::string type;
    std::string help;
    std::vector<double> buckets;
    std::map<std::string, std::atomic<double>> values;  // rendered label set -> value
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
template <class Cells>
class CellCache {
 public:
  template <class Make>
  const Cells& get(const std::string& key, Make&& make) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cells_.find(key);
    if (it == cells_.end()) it = cells_.emplace(key, make()).first;
    return it->second;
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, Cells> cells_;
};

}  // namespace hydra::http
