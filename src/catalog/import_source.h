#pragma once
// Where an import's YAML comes from: the request body itself, a
// multipart/form-data upload (field `file`), or JSON naming a URL to fetch
// ({"url": "https://..."}) or carrying the text ({"yaml": "..."}).
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace hydra::catalog {

// Fetches a URL's body; throws ApiError(PARAM_ERROR) with a clear reason.
using UrlFetcher = std::function<std::string(const std::string& url)>;

// GET with hydra::http::Client: http/https only, at most 16 MiB, 2xx only.
std::string fetch_import_url(const std::string& url);

// The YAML text of an import request. Throws PARAM_ERROR when the body is
// empty or its shape is wrong.
std::string import_text(std::string_view content_type, std::string_view body,
                        const UrlFetcher& fetch = fetch_import_url);

// The content of form field `name` in a multipart/form-data body; nullopt
// when absent; PARAM_ERROR when the body is not well-formed multipart.
std::optional<std::string> multipart_field(std::string_view content_type, std::string_view body,
                                           std::string_view name);

}  // namespace hydra::catalog
