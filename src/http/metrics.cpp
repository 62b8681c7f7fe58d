#include "http/metrics.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>

namespace hydra::http {
namespace {

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);  // shortest text that reads back exactly
  return std::string(buf, res.ptr);
}

// Inserts an extra label into an already rendered label set.
std::string with_label(const std::string& rendered, const std::string& name,
                       const std::string& value) {
  std::string extra = name + "=\"" + value + "\"";
  if (rendered.empty()) return "{" + extra + "}";
  return rendered.substr(0, rendered.size() - 1) + "," + extra + "}";
}

// Atomics per cache line.
constexpr size_t kSlotsPerLine = 64 / sizeof(std::atomic<uint64_t>);

}  // namespace

size_t Metrics::shard() {
  static std::atomic<size_t> next{0};
  thread_local const size_t mine = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return mine;
}

double Metrics::ValueCells::value() const {
  double v = 0;
  for (const auto& s : shards) v += s.v.load(std::memory_order_relaxed);
  return v;
}

Metrics::HistogramCells::HistogramCells(const std::vector<double>& b)
    : buckets(b),
      stride((b.size() + 2 + kSlotsPerLine - 1) / kSlotsPerLine * kSlotsPerLine),
      storage(std::make_unique<std::atomic<uint64_t>[]>(kShards * stride + kSlotsPerLine)) {
  auto at = reinterpret_cast<uintptr_t>(storage.get());
  size_t skip = (64 - at % 64) % 64 / sizeof(std::atomic<uint64_t>);
  slots = storage.get() + skip;  // zeroed: no samples, and a sum of 0.0
}

uint64_t Metrics::HistogramCells::total(size_t slot) const {
  uint64_t n = 0;
  for (size_t s = 0; s < kShards; ++s) n += shard_slots(s)[slot].load(std::memory_order_relaxed);
  return n;
}

double Metrics::HistogramCells::sum() const {
  double v = 0;
  const size_t slot = buckets.size() + 1;
  for (size_t s = 0; s < kShards; ++s) {
    v += std::bit_cast<double>(shard_slots(s)[slot].load(std::memory_order_relaxed));
  }
  return v;
}

// Called whenever a cell is looked up by its labels: one allocation, no temporaries.
std::string Metrics::render_labels(const Labels& labels) {
  if (labels.empty()) return {};
  size_t size = 2;
  for (const auto& [name, value] : labels) size += name.size() + value.size() + 4;
  std::string out;
  out.reserve(size + 8);
  out += '{';
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ',';
    out += labels[i].first;
    out += "=\"";
    for (char c : labels[i].second) {
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      if (c == '\\' || c == '"') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

void Metrics::describe(const std::string& name, const std::string& type, const std::string& help) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& f = families_[name];
  f.type = type;
  f.help = help;
}

void Metrics::describe_histogram(const std::string& name, const std::string& help,
                                 std::vector<double> buckets) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& f = families_[name];
  f.type = "histogram";
  f.help = help;
  f.buckets = std::move(buckets);
}

Metrics::Counter Metrics::cell(const std::string& name, const Labels& labels, const char* type) {
  std::string key = render_labels(labels);
  std::lock_guard<std::mutex> lock(mu_);
  auto& f = families_[name];
  if (f.type.empty()) f.type = type;
  return Counter(&f.values[key], f.type == "counter");
}

Metrics::Counter Metrics::counter(const std::string& name, const Labels& labels) {
  return cell(name, labels, "counter");
}

Metrics::Counter Metrics::gauge(const std::string& name, const Labels& labels) {
  return cell(name, labels, "gauge");
}

Metrics::Histogram Metrics::histogram(const std::string& name, const Labels& labels) {
  std::string key = render_labels(labels);
  std::lock_guard<std::mutex> lock(mu_);
  auto& f = families_[name];
  if (f.type.empty()) f.type = "histogram";
  auto it = f.histograms.find(key);
  if (it == f.histograms.end()) it = f.histograms.try_emplace(std::move(key), f.buckets).first;
  return Histogram(&it->second);
}

void Metrics::Histogram::observe(double v) const {
  const std::vector<double>& b = h_->buckets;
  std::atomic<uint64_t>* mine = h_->shard_slots(shard());
  for (size_t i = 0; i < b.size(); ++i) {
    if (v <= b[i]) {
      mine[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  mine[b.size()].fetch_add(1, std::memory_order_relaxed);
  // Threads beyond kShards share a shard, so the sum is added with a
  // compare-and-swap on its bits.
  std::atomic<uint64_t>& sum = mine[b.size() + 1];
  uint64_t seen = sum.load(std::memory_order_relaxed);
  while (!sum.compare_exchange_weak(seen, std::bit_cast<uint64_t>(std::bit_cast<double>(seen) + v),
                                    std::memory_order_relaxed)) {
  }
}

void Metrics::counter_add(const std::string& name, const Labels& labels, double v) {
  counter(name, labels).add(v);
}

void Metrics::gauge_set(const std::string& name, const Labels& labels, double v) {
  gauge(name, labels).set(v);
}

void Metrics::gauge_add(const std::string& name, const Labels& labels, double v) {
  gauge(name, labels).add(v);
}

void Metrics::gauge_fn(const std::string& name, std::function<double()> read) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& f = families_[name];
  if (f.type.empty()) f.type = "gauge";
  f.read = std::move(read);
}

void Metrics::observe(const std::string& name, const Labels& labels, double v) {
  histogram(name, labels).observe(v);
}

std::string Metrics::render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    if (f.values.empty() && f.histograms.empty() && !f.read) continue;
    if (!f.help.empty()) out += "# HELP " + name + " " + f.help + "\n";
    out += "# TYPE " + name + " " + (f.type.empty() ? "untyped" : f.type) + "\n";
    if (f.read) out += name + " " + format_value(f.read()) + "\n";
    for (const auto& [labels, v] : f.values) {
      out += name + labels + " " + format_value(v.value()) + "\n";
    }
    for (const auto& [labels, h] : f.histograms) {
      // Read without stopping writers: a sample landing meanwhile may show
      // in some of these lines and not yet in others, as in any client.
      const auto count = static_cast<double>(h.total(h.buckets.size()));
      double cumulative = 0;
      for (size_t i = 0; i < h.buckets.size(); ++i) {
        cumulative += static_cast<double>(h.total(i));
        out += name + "_bucket" + with_label(labels, "le", format_value(h.buckets[i])) + " " +
               format_value(std::min(cumulative, count)) + "\n";
      }
      out += name + "_bucket" + with_label(labels, "le", "+Inf") + " " + format_value(count) + "\n";
      out += name + "_sum" + labels + " " + format_value(h.sum()) + "\n";
      out += name + "_count" + labels + " " + format_value(count) + "\n";
    }
  }
  return out;
}

}  // namespace hydra::http
