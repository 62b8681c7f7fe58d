#include "api/console.h"

#include <filesystem>
#include <memory>

#include "api/static_site.h"
#include "common/error.h"

#ifndef HYDRA_WEB_DIST
#define HYDRA_WEB_DIST "web/dist"
#endif

namespace hydra::api {
namespace {

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

http::Response not_built_page(const std::string& dir, const std::string& base_url) {
  std::string page = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hydra</title>
<style>body{font-family:system-ui,sans-serif;max-width:44rem;margin:3rem auto;color:#222}
code{background:#f3f3f3;padding:.1rem .3rem}</style></head>
<body><h1>Hydra</h1>
<p>The server is running, but the web console has not been built: there is no
<code>index.html</code> in <code>)" +
                     html_escape(dir) +
                     R"(</code>.</p>
<p>Build it with <code>make build</code> (which runs <code>npm ci</code> and
<code>npm run build</code> in <code>web/</code>), or point the <code>web_dir</code>
setting (<code>--web-dir</code>, <code>HYDRA_WEB_DIR</code>) at a built console.</p>
<p>Meanwhile the management API is under <a href="/api/v1/openapi.json"><code>/api/v1</code></a>
(OpenAPI document), with <a href="/health"><code>/health</code></a> and <a href="/metrics"><code>/metrics</code></a>;
log in from a terminal with <code>hydra login --server )" +
                     html_escape(base_url) + R"( -u admin</code>.</p>
</body></html>
)";
  auto resp = http::Response::text(503, page, "text/html; charset=utf-8");
  resp.set_header("Cache-Control", "no-cache");
  return resp;
}

bool api_path(const std::string& path) {
  for (const char* prefix : {"/api", "/v1"}) {
    std::string p = prefix;
    if (path == p || path.rfind(p + "/", 0) == 0) return true;
  }
  return false;
}

// A missing path that names a static file type is a 404; anything else
// (including ids with dots, e.g. /square/qwen2-0.5b-instruct) is an app page.
bool looks_like_file(const std::string& path) {
  return content_type_for(std::filesystem::path(path)) != "application/octet-stream";
}

[[noreturn]] void not_found(const http::Request& req) {
  throw ApiError(ErrorCode::kNotFound, "no route for " + req.method + " " + req.path);
}

struct Console {
  StaticSite site;
  std::string base_url;

  http::Response index(const http::Request& req) const {
    auto file = site.resolve("/index.html");
    if (!file) return not_built_page(site.root().string(), base_url);
    return site.serve(*file, req);
  }

  http::Response asset(const http::Request& req) const {
    auto file = site.resolve(req.path);
    if (!file) not_found(req);
    return site.serve(*file, req);
  }

  // Paths no route knows: API prefixes keep their JSON 404, files are served
  // when present, and anything else is a page of the app.
  http::Response other(const http::Request& req) const {
    if (api_path(req.path)) not_found(req);
    if (auto file = site.resolve(req.path)) return site.serve(*file, req);
    if (looks_like_file(req.path)) not_found(req);
    return index(req);
  }
};

}  // namespace

std::string console_dir(const Config& cfg) {
  return cfg.web_dir.empty() ? std::string(HYDRA_WEB_DIST) : cfg.web_dir;
}

void register_console_routes(http::Router& r, const Config& cfg) {
  auto console = std::make_shared<Console>(Console{StaticSite(console_dir(cfg)), cfg.base_url()});
  r.add(
      "GET", "/", [console](http::Request& req) { return console->index(req); }, "web console");
  r.add(
      "GET", "/assets/{file...}", [console](http::Request& req) { return console->asset(req); },
      "web console files (hashed names, cached for a year)");
  r.set_fallback([console](http::Request& req) { return console->other(req); });
}

}  // namespace hydra::api
