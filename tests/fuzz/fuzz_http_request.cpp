// Fuzzes the server's request path: arbitrary bytes go through the HTTP/1.1
// parser with the server's limits, then (when a request comes out) through
// the real management routes with an administrator's session, so every JSON
// request decoder sees hostile bodies. A 500 answer or a non-JSON error body
// is a finding, as is any crash or sanitizer report.
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "api/context.h"
#include "auth/bootstrap.h"
#include "auth/sessions.h"
#include "catalog/runtime_template.h"
#include "common/log.h"
#include "http/dispatch.h"
#include "http/request_parse.h"

namespace {

struct Harness {
  std::string dir;
  hydra::Config cfg;
  std::unique_ptr<hydra::store::Store> store;
  std::unique_ptr<hydra::http::Metrics> metrics;
  std::unique_ptr<hydra::api::ApiContext> ctx;
  hydra::http::Router router;
  std::string token;
};

Harness* make_harness() {
  auto* h = new Harness();
  char tmpl[] = "/tmp/hydra-fuzz-XXXXXX";
  h->dir = mkdtemp(tmpl);
  h->cfg.data_dir = h->dir;
  h->cfg.admin_password = "fuzz-admin-password";
  h->cfg.sqlite_synchronous = "NORMAL";
  hydra::store::StoreOptions so;
  so.synchronous = "NORMAL";
  h->store = hydra::store::open_store("sqlite:" + h->dir + "/hydra.db", so);
  h->store->migrate();
  hydra::catalog::seed_runtime_templates(*h->store);
  hydra::auth::ensure_admin(*h->store, h->cfg);
  h->token =
      hydra::auth::login(*h->store, h->cfg, {"admin", "fuzz-admin-password", "127.0.0.1", "fuzz"})
          .token;
  h->metrics = std::make_unique<hydra::http::Metrics>();
  h->ctx = std::make_unique<hydra::api::ApiContext>(
      hydra::api::ApiContext{*h->store, h->cfg, *h->metrics});
  hydra::api::register_routes(h->router, *h->ctx);
  spdlog::set_level(spdlog::level::off);
  return h;
}

void check_answer(const hydra::http::Response& r) {
  if (r.status >= 500) {
    fprintf(stderr, "server error %d: %s\n", r.status, r.body.c_str());
    abort();
  }
  if (r.status >= 400) {
    boost::system::error_code ec;
    auto v = boost::json::parse(r.body, ec);
    if (ec || !v.is_object() || !v.as_object().contains("error")) {
      fprintf(stderr, "error without the OpenAI shape: %s\n", r.body.c_str());
      abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Harness* h = make_harness();
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto parsed = hydra::http::parse_request(bytes, 16 << 10, 1 << 20, "127.0.0.1");
  if (!parsed.complete) return 0;
  hydra::http::Request& req = parsed.request;
  // Logging out would end the session every later input relies on.
  if (req.path.find("logout") != std::string::npos) return 0;
  if (!req.header("authorization")) req.headers.emplace_back("authorization", "Bearer " + h->token);
  std::string route;
  check_answer(hydra::http::dispatch(h->router, req, &route));
  return 0;
}
