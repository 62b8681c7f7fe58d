// Routes about the API itself: its OpenAPI document and version.
#include "api/openapi.h"
#include "api/routes.h"

namespace hydra::api {

void register_system_routes(http::Router& r, ApiContext&) {
  r.add(
      "GET", "/api/v1/openapi.json",
      [](http::Request&) {
        return http::Response::text(200, std::string(openapi_document()), "application/json");
      },
      "OpenAPI 3 document of this API");
  r.add(
      "GET", "/api/v1/version",
      [](http::Request&) {
        return ok(boost::json::object{{"name", "hydra"}, {"version", HYDRA_VERSION}});
      },
      "server version");
}

}  // namespace hydra::api
