#include "http/metrics.h"

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

}  // namespace

// Called for every sample on the request path: one allocation, no temporaries.
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

void Metrics::counter_add(const std::string& name, const Labels& labels, double v) {
  std::string key = render_labels(labels);
  std::lock_guard<std::mutex> lock(mu_);
  auto& f = families_[name];
  if (f.type.empty()) f.type = "counter";
  f.values[key] += v;
}

void Metrics::gauge_set(const std::string& name, const Labels& labels, double v) {
  std::string key = render_labels(labels);
  std::lock_guard<std::mutex> lock(mu_);
  auto& f = families_[name];
  if (f.type.empty()) f.type = "gauge";
  f.values[key] = v;
}

void Metrics::gauge_add(const std::string& name, const Labels& labels, double v) {
  std::string key = render_labels(labels);
  std::lock_guard<std::mutex> lock(mu_);
  auto& f = families_[name];
  if (f.type.empty()) f.type = "gauge";
  f.values[key] += v;
}

void Metrics::gauge_fn(const std::string& name, std::function<double()> read) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& f = families_[name];
  if (f.type.empty()) f.type = "gauge";
  f.read = std::move(read);
}

void Metrics::observe(const std::string& name, const Labels& labels, double v) {
  std::string key = render_labels(labels);
  std::lock_guard<std::mutex> lock(mu_);
  auto& f = families_[name];
  auto& h = f.histograms[key];
  if (h.counts.size() != f.buckets.size()) h.counts.assign(f.buckets.size(), 0);
  for (size_t i = 0; i < f.buckets.size(); ++i) {
    if (v <= f.buckets[i]) {
      h.counts[i] += 1;
      break;
    }
  }
  h.sum += v;
  h.count += 1;
}

std::string Metrics::render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    if (f.values.empty() && f.histograms.empty() && !f.read) continue;
    if (!f.help.empty()) out += "# HELP " + name + " " + f.help + "\n";
    out += "# TYPE " + name + " " + (f.type.empty() ? "untyped" : f.type) + "\n";
    if (f.read) out += name + " " + format_value(f.read()) + "\n";
    for (const auto& [labels, v] : f.values) out += name + labels + " " + format_value(v) + "\n";
    for (const auto& [labels, h] : f.histograms) {
      double cumulative = 0;
      for (size_t i = 0; i < f.buckets.size(); ++i) {
        cumulative += h.counts[i];
        out += name + "_bucket" + with_label(labels, "le", format_value(f.buckets[i])) + " " +
               format_value(cumulative) + "\n";
      }
      out += name + "_bucket" + with_label(labels, "le", "+Inf") + " " +
             format_value(static_cast<double>(h.count)) + "\n";
      out += name + "_sum" + labels + " " + format_value(h.sum) + "\n";
      out += name + "_count" + labels + " " + format_value(static_cast<double>(h.count)) + "\n";
    }
  }
  return out;
}

}  // namespace hydra::http
