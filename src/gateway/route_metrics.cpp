#include "gateway/route_metrics.h"

namespace hydra::gateway {

namespace {
constexpr const char* kRequests = "hydra_gateway_requests_total";
constexpr const char* kTokens = "hydra_gateway_tokens_total";
constexpr const char* kDuration = "hydra_gateway_request_duration_seconds";
constexpr const char* kTtft = "hydra_gateway_ttft_seconds";
}  // namespace

RouteMetrics::RouteMetrics(http::Metrics& metrics) : metrics_(metrics) {
  metrics_.describe(kRequests, "counter", "Gateway requests by model and status");
  metrics_.describe(kTokens, "counter", "Tokens metered, by model and kind");
  metrics_.describe_histogram(kTtft, "Time to the first streamed event",
                              {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30});
  metrics_.describe_histogram(kDuration, "Gateway request latency",
                              {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60});
}

// Resolving creates the model's series at zero, as Prometheus prefers to a
// series that appears with its first sample.
RouteMetrics::ModelCells RouteMetrics::resolve(const std::string& model) {
  ModelCells c;
  c.ok = metrics_.counter(kRequests, {{"model", model}, {"status", "200"}});
  c.duration = metrics_.histogram(kDuration, {{"model", model}});
  c.ttft = metrics_.histogram(kTtft, {{"model", model}});
  c.prompt = metrics_.counter(kTokens, {{"model", model}, {"kind", "prompt"}});
  c.completion = metrics_.counter(kTokens, {{"model", model}, {"kind", "completion"}});
  c.cached = metrics_.counter(kTokens, {{"model", model}, {"kind", "cached"}});
  return c;
}

void RouteMetrics::record(const std::string& model, const RequestSample& s) {
  const ModelCells& c = models_.get(model, [&] { return resolve(model); });
  if (s.status == 200) {
    c.ok.add();
  } else {
    metrics_.counter_add(kRequests, {{"model", model}, {"status", std::to_string(s.status)}});
  }
  c.duration.observe(s.seconds);
  if (s.ttft_seconds >= 0) c.ttft.observe(s.ttft_seconds);
  if (s.prompt_tokens) c.prompt.add(static_cast<double>(s.prompt_tokens));
  if (s.completion_tokens) c.completion.add(static_cast<double>(s.completion_tokens));
  if (s.cached_tokens) c.cached.add(static_cast<double>(s.cached_tokens));
}

}  // namespace hydra::gateway
