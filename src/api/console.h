#pragma once
#include "http/router.h"

namespace hydra::api {

// Serves the web console at "/". Until the console is built (web/dist), a
// small page points to the API, its OpenAPI document, health and metrics.
void register_console_routes(http::Router& r, const std::string& base_url);

}  // namespace hydra::api
