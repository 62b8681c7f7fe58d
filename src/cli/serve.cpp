#include "cli/serve.h"

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <thread>

#include "api/console.h"
#include "api/context.h"
#include "auth/bootstrap.h"
#include "catalog/runtime_template.h"
#include "common/log.h"
#include "deploy/change_signal.h"
#include "deploy/cluster_monitor.h"
#include "deploy/local_agent.h"
#include "files/file_worker.h"
#include "gateway/gateway.h"
#include "http/server.h"
#include "store/store.h"

namespace hydra::cli {
namespace {

http::ServerOptions server_options(const Config& cfg) {
  http::ServerOptions o;
  if (!http::parse_listen(cfg.listen, &o.host, &o.port)) {
    throw std::invalid_argument("listen must be HOST:PORT, got '" + cfg.listen + "'");
  }
  o.max_body_bytes = cfg.max_body_bytes;
  o.max_header_bytes = cfg.max_header_bytes;
  o.read_timeout_ms = cfg.read_timeout_ms;
  o.idle_timeout_ms = cfg.idle_timeout_ms;
  o.max_connections = cfg.max_connections;
  o.io_threads = static_cast<int>(cfg.io_threads);
  o.io_spin_us = cfg.io_spin_us;
  o.worker_threads = static_cast<int>(cfg.worker_threads);
  o.access_log = cfg.access_log;
  o.tls_cert = cfg.tls_cert;
  o.tls_key = cfg.tls_key;
  return o;
}

int wait_for_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

}  // namespace

int run_serve(Config cfg) {
  // Signals are taken synchronously by sigwait; block them in every thread.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::filesystem::create_directories(cfg.data_dir);
  store::StoreOptions sopts;
  sopts.synchronous = cfg.sqlite_synchronous;
  auto st = store::open_store(cfg.database_url(), sopts);
  st->migrate();
  catalog::seed_runtime_templates(*st);
  auto boot = auth::ensure_admin(*st, cfg);

  auto metrics = std::make_shared<http::Metrics>();
  api::ApiContext ctx{*st, cfg, *metrics};
  http::Router router;
  api::register_routes(router, ctx);
  api::register_console_routes(router, cfg);
  gateway::GatewayOptions gw_opts;
  gw_opts.probes.interval_ms = cfg.gateway_probe_ms;
  gw_opts.upstream.max_connections_per_host =
      static_cast<size_t>(std::max<int64_t>(1, cfg.upstream_max_connections));
  gw_opts.upstream.connect_timeout_ms = cfg.upstream_connect_timeout_ms;
  gw_opts.upstream.first_byte_timeout_ms = cfg.upstream_first_byte_timeout_ms;
  gw_opts.upstream.chunk_timeout_ms = cfg.upstream_chunk_timeout_ms;
  gateway::Gateway gw(*st, cfg, *metrics, gw_opts);
  gw.start();
  gw.register_routes(router);
  // The local cluster's agent; replicas outlive it and are adopted on the next start.
  deploy::LocalAgentOptions agent_opts;
  agent_opts.data_dir = cfg.data_dir;
  deploy::LocalAgent agent(*st, agent_opts);
  agent.on_routes_changed([&gw] { gw.routes().refresh(); });
  int routes_listener = deploy::add_change_listener([&gw] { gw.routes().refresh(); });
  agent.start();
  files::FileWorker file_worker(*st, cfg);  // downloads model file sets
  file_worker.start();
  deploy::ClusterMonitor clusters(*st);  // cluster `local` and silent remote agents
  clusters.start();
  http::Server server(server_options(cfg), std::move(router), metrics);
  server.start();

  std::string url = cfg.base_url();
  std::cout << "Hydra is serving on " << url << "\n"
            << "  console:  " << url << "/\n"
            << "  API:      " << url << "/api/v1 (OpenAPI: " << url << "/api/v1/openapi.json)\n"
            << "  OpenAI:   " << url << "/v1 (API keys as Bearer tokens)\n"
            << "  store:    " << (cfg.database.empty() ? cfg.database_url() : "external database")
            << "\n";
  if (boot.created && boot.generated) {
    std::cout << "  first administrator: " << boot.name << " / " << boot.password
              << "   (random; shown only this once)\n";
  } else if (boot.created) {
    std::cout << "  first administrator: " << boot.name
              << " (password from HYDRA_ADMIN_PASSWORD)\n";
  }
  std::cout << std::flush;
  int sig = wait_for_signal();
  spdlog::info("signal {} received; draining requests", sig);
  deploy::remove_change_listener(routes_listener);
  agent.stop();
  file_worker.stop();
  clusters.stop();
  server.shutdown(cfg.shutdown_grace_ms);
  gw.stop();  // after the drain, so the last requests' usage is stored
  spdlog::info("stopped");
  return 0;
}

}  // namespace hydra::cli
