#pragma once
// The OpenAI-compatible data plane (DESIGN.md §4): authenticate the API
// key, resolve `model` to a route, pick an endpoint, proxy the request
// (whole or as a server-sent event stream), capture usage and meter it.
// Handlers are coroutines on the client connection's network thread; the store is
// reached only through the worker pool.
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "auth/api_keys.h"
#include "common/config.h"
#include "gateway/balancer.h"
#include "gateway/health_prober.h"
#include "gateway/key_cache.h"
#include "gateway/route_metrics.h"
#include "gateway/route_table.h"
#include "gateway/upstream_client.h"
#include "http/metrics.h"
#include "http/router.h"
#include "limits/admitter.h"
#include "metering/usage_recorder.h"
#include "moderation/moderation_service.h"
#include "store/store.h"

namespace hydra::gateway {

using metering::UsageRecord;
using metering::UsageRecorder;
using metering::UsageRecorderOptions;

struct GatewayOptions {
  UpstreamOptions upstream;
  EjectionPolicy ejection;
  ProbeOptions probes;
  int max_attempts = 3;          // endpoints tried per request, before any byte is sent
  int64_t route_poll_ms = 2000;  // how soon a MaaS model change applies
  UsageRecorderOptions usage;
  moderation::ModerationOptions moderation;
};

class Gateway {
 public:
  Gateway(store::Store& st, const Config& cfg, http::Metrics& metrics, GatewayOptions opts = {});
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Loads the routes and starts following changes.
  void start();
  // Stops following changes, stores the queued usage records and closes
  // pooled upstream connections. Call it after the HTTP server has drained
  // (so the last requests are metered) and before the server is destroyed
  // (the pooled sockets live on its io_context).
  void stop();

  // /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/models.
  void register_routes(http::Router& router);

  RouteTable& routes() { return routes_; }
  UsageRecorder& usage() { return usage_; }
  limits::Admitter& limits() { return limits_; }
  UpstreamClient& upstream() { return upstream_; }

 private:
  struct Call;
  // `path` is the upstream path the route's handler holds for the server's life.
  asio::awaitable<void> serve_inference(http::Request& req, http::ResponseWriter& w,
                                        const std::string& path);
  asio::awaitable<void> serve_models(http::Request& req, http::ResponseWriter& w);
  // The key from the cache, or null when it must be verified (authenticate).
  std::shared_ptr<const auth::VerifiedKey> cached_key(const http::Request& req);
  asio::awaitable<std::shared_ptr<const auth::VerifiedKey>> authenticate(http::Request& req,
                                                                         http::ResponseWriter& w);
  asio::awaitable<void> proxy(http::Request& req, http::ResponseWriter& w, const std::string& path,
                              Call& call);
  asio::awaitable<void> relay_whole(UpstreamExchange& ex, http::ResponseWriter& w, Call& call);
  asio::awaitable<void> relay_stream(UpstreamExchange& ex, http::ResponseWriter& w, Call& call,
                                     const Endpoint& ep);
  // Output moderation of a streamed event; true when it refused the answer.
  bool refuses_event(const std::string& event, moderation::OutputScanner& scanner, Call& call);
  void note_upstream_failure(const Endpoint& ep);
  void finish(Call& call);

  store::Store& store_;
  http::Metrics& metrics_;
  GatewayOptions opts_;
  RouteTable routes_;
  HealthProber prober_;
  KeyCache keys_;
  UpstreamClient upstream_;
  UsageRecorder usage_;
  limits::Admitter limits_;
  moderation::ModerationService moderation_;
  RouteMetrics route_metrics_;
};

}  // namespace hydra::gateway
