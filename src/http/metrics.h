#pragma once
// A small Prometheus registry: counters, gauges and histograms with labels,
// rendered in the text exposition format (checked with promtool in tests).
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace hydra::http {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  void describe(const std::string& name, const std::string& type, const std::string& help);
  void counter_add(const std::string& name, const Labels& labels, double v = 1);
  void gauge_set(const std::string& name, const Labels& labels, double v);
  void gauge_add(const std::string& name, const Labels& labels, double v);
  // A gauge without labels read from `read` when rendered, for values the
  // owner already keeps (no registry update on the hot path).
  void gauge_fn(const std::string& name, std::function<double()> read);
  // Buckets must have been given to describe_histogram first.
  void describe_histogram(const std::string& name, const std::string& help,
                          std::vector<double> buckets);
  void observe(const std::string& name, const Labels& labels, double v);
  std::string render() const;

 private:
  struct Histogram {
    std::vector<double> counts;  // per bucket, cumulative at render time
    double sum = 0;
    uint64_t count = 0;
  };
  struct Family {
    std::string type;
    std::string help;
    std::vector<double> buckets;
    std::map<std::string, double> values;  // rendered label set -> value
    std::map<std::string, Histogram> histograms;
    std::function<double()> read;  // gauge_fn
  };
  static std::string render_labels(const Labels& labels);
  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

}  // namespace hydra::http
