#pragma once
// Plain request/response values handed to handlers. Handlers never see Beast
// types, so modules that serve routes compile without Beast's headers.
#include <any>
#include <boost/json/value.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hydra::http {

using Headers = std::vector<std::pair<std::string, std::string>>;  // names lower-case

// The first value of header `lower_name` in fields whose names are
// lower-case, or nullptr.
const std::string* find_header(const Headers& headers, std::string_view lower_name);

struct Request {
  std::string method;                              // "GET", "POST", ...
  std::string target;                              // path + query as received
  std::string path;                                // percent-decoded path
  std::map<std::string, std::string> query;        // decoded query parameters
  std::map<std::string, std::string> path_params;  // from the route pattern, e.g. {id}
  Headers headers;
  std::string body;
  std::string remote_addr;
  std::string request_id;
  std::any auth;  // set by authentication middleware

  const std::string* header(std::string_view name) const;  // name lower-case
  std::string cookie(std::string_view name) const;
  std::string param(std::string_view name) const;  // path parameter
  std::optional<std::string> query_param(std::string_view name) const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;

  void set_header(std::string name, std::string value);
  const std::string* header(std::string_view name) const;

  static Response json(int status, const boost::json::value& body);
  static Response text(int status, std::string body,
                       std::string content_type = "text/plain; charset=utf-8");
  static Response no_content();
};

}  // namespace hydra::http
