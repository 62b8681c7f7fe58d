#include "engine/server/serve.h"

#include <spdlog/spdlog.h>

#include <csignal>
#include <filesystem>
#include <iostream>

#include "common/error.h"
#include "engine/format/ggml_types.h"
#include "engine/kernels/compute_pool.h"
#include "engine/server/engine_service.h"
#include "http/server.h"

namespace hydra::engine {

std::string default_served_name(const std::string& model_path) {
  std::filesystem::path p(model_path);
  while (!p.empty() && p.filename().empty()) p = p.parent_path();  // a trailing '/'
  if (std::filesystem::is_directory(p)) return p.filename().string();
  return p.stem().string();
}

int serve_engine(const EngineServeOptions& o) {
  // Signals are taken synchronously by sigwait; block them in every thread.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  http::ServerOptions so;
  if (!http::parse_listen(o.listen, &so.host, &so.port))
    throw_param("--listen must be HOST:PORT, got '" + o.listen + "'", "listen");
  ComputePool::instance().resize(o.threads);
  so.access_log = o.access_log;
  so.read_timeout_ms = 600000;  // a long prompt upload on a slow link

  spdlog::info("loading {}", o.model_path);
  auto model = load_for_serving(o.model_path, o.ctx);
  EngineServiceOptions eo;
  eo.served_model_name =
      o.served_model_name.empty() ? default_served_name(o.model_path) : o.served_model_name;
  eo.runtime.max_running = o.max_running;
  eo.runtime.max_waiting = o.max_waiting;
  eo.runtime.max_batch_tokens = o.max_batch_tokens;
  eo.runtime.kv_cache_bytes = o.kv_cache_mb << 20;
  eo.runtime.prefix_caching = o.prefix_caching;
  const auto kv_type = type_from_name(o.kv_cache_dtype);
  if (!kv_type) throw_param("--kv-cache-dtype must be f32, f16 or q8_0", "kv_cache_dtype");
  eo.runtime.kv_type = *kv_type;
  auto metrics = std::make_shared<http::Metrics>();
  auto service = std::make_unique<EngineService>(std::move(model), eo, metrics);
  http::Router router;
  service->add_routes(router);
  http::Server server(so, std::move(router), metrics);
  server.start();
  std::cout << "hydra engine serving '" << eo.served_model_name << "' on http://" << so.host << ":"
            << server.port() << "/v1" << std::endl;
  int sig = 0;
  sigwait(&set, &sig);
  spdlog::info("signal {} received; draining requests", sig);
  server.shutdown(5000);
  service.reset();
  return 0;
}

}  // namespace hydra::engine
