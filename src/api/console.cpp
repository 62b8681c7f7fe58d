#include "api/console.h"

namespace hydra::api {

void register_console_routes(http::Router& r, const std::string& base_url) {
  std::string page = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hydra</title>
<style>body{font-family:system-ui,sans-serif;max-width:44rem;margin:3rem auto;color:#222}
code{background:#f3f3f3;padding:.1rem .3rem}</style></head>
<body><h1>Hydra</h1>
<p>The server is running. The management API is under <a href="/api/v1/openapi.json"><code>/api/v1</code></a>
(OpenAPI document), with <a href="/health"><code>/health</code></a> and <a href="/metrics"><code>/metrics</code></a>.</p>
<p>Log in from a terminal with <code>hydra login --server )" +
                     base_url + R"( -u admin</code>.</p>
</body></html>
)";
  r.add(
      "GET", "/",
      [page](http::Request&) {
        auto resp = http::Response::text(200, page, "text/html; charset=utf-8");
        resp.set_header("Cache-Control", "no-cache");
        return resp;
      },
      "web console");
}

}  // namespace hydra::api
