#pragma once
// The gateway's per-model request metrics: request counts by status,
// latency and time-to-first-token histograms, tokens by kind. The cells of
// a model are resolved in the registry once and kept here, so a request
// costs one short lock and a few atomic adds instead of a registry lookup
// with rendered labels per sample.
#include <cstdint>
#include <string>

#include "http/metrics.h"

namespace hydra::gateway {

struct RequestSample {
  int status = 0;
  double seconds = 0;
  double ttft_seconds = -1;  // < 0: no streamed event
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;
};

class RouteMetrics {
 public:
  explicit RouteMetrics(http::Metrics& metrics);
  // `model` is the label: a known route's name, or "" for unknown names
  // (clients choose those, and every label value is a series kept forever).
  void record(const std::string& model, const RequestSample& s);

 private:
  struct ModelCells {
    http::Metrics::Counter ok;  // status 200, by far the most common
    http::Metrics::Histogram duration, ttft;
    http::Metrics::Counter prompt, completion, cached;
  };
  ModelCells resolve(const std::string& model);

  http::Metrics& metrics_;
  http::CellCache<ModelCells> models_;
};

}  // namespace hydra::gateway
