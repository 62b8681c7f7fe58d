#pragma once
#include <string_view>

namespace hydra::api {

// The OpenAPI 3 document (openapi.json in this folder, embedded at build time).
std::string_view openapi_document();

}  // namespace hydra::api
