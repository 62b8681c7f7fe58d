#pragma once
// The CLI's view of the REST API: JSON in, JSON out, errors as exceptions
// carrying the server's message.
#include <boost/json.hpp>
#include <stdexcept>
#include <string>

#include "http/client.h"

namespace hydra::cli {

class ApiCallError : public std::runtime_error {
 public:
  ApiCallError(int status, const std::string& msg) : std::runtime_error(msg), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

class ApiClient {
 public:
  ApiClient(std::string server, std::string token);
  boost::json::value call(const std::string& method, const std::string& path,
                          const boost::json::value* body = nullptr,
                          const std::string& content_type = "application/json",
                          const std::string* raw_body = nullptr);
  std::string call_raw(const std::string& method, const std::string& path);
  const std::string& server() const { return server_; }

 private:
  http::ClientResponse send(const std::string& method, const std::string& path,
                            const std::string& body, const std::string& content_type);
  std::string server_;
  std::string token_;
  http::Client client_;
};

}  // namespace hydra::cli
