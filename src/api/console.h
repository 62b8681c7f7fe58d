#pragma once
// The web console: the built single-page app (web/dist) served at "/".
// Hashed files under /assets are cached for a year; index.html and other
// files revalidate on every load. Any other GET path that no route knows and
// that does not look like a file gets index.html, so the app's own routes
// (/square, /playground, ...) survive a reload; /api and /v1 keep their JSON
// 404s. When the app was not built, "/" explains how to build it.
#include <string>

#include "common/config.h"
#include "http/router.h"

namespace hydra::api {

// The directory served: cfg.web_dir, else the default fixed at build time.
std::string console_dir(const Config& cfg);

void register_console_routes(http::Router& r, const Config& cfg);

}  // namespace hydra::api
