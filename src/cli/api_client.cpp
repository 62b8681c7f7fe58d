#include "cli/api_client.h"

namespace hydra::cli {

ApiClient::ApiClient(std::string server, std::string token)
    : server_(std::move(server)), token_(std::move(token)) {
  while (!server_.empty() && server_.back() == '/') server_.pop_back();
}

http::ClientResponse ApiClient::send(const std::string& method, const std::string& path,
                                     const std::string& body, const std::string& content_type) {
  http::ClientRequest req;
  req.method = method;
  req.url = server_ + path;
  if (!token_.empty()) req.headers.emplace_back("Authorization", "Bearer " + token_);
  if (!body.empty()) req.headers.emplace_back("Content-Type", content_type);
  req.body = body;
  http::ClientResponse resp = client_.send(req);
  if (resp.status >= 200 && resp.status < 300) return resp;
  std::string msg = "HTTP " + std::to_string(resp.status);
  boost::system::error_code ec;
  auto v = boost::json::parse(resp.body, ec);
  if (!ec && v.is_object()) {
    if (auto* err = v.as_object().if_contains("error"); err && err->is_object()) {
      if (auto* m = err->as_object().if_contains("message"); m && m->is_string())
        msg += ": " + std::string(m->as_string());
    }
  }
  if (resp.status == 401) msg += " (run `hydra login` first)";
  throw ApiCallError(resp.status, msg);
}

boost::json::value ApiClient::call(const std::string& method, const std::string& path,
                                   const boost::json::value* body, const std::string& content_type,
                                   const std::string* raw_body) {
  std::string text = raw_body ? *raw_body : body ? boost::json::serialize(*body) : "";
  auto resp = send(method, path, text, content_type);
  if (resp.body.empty()) return nullptr;
  boost::system::error_code ec;
  auto v = boost::json::parse(resp.body, ec);
  if (ec) throw std::runtime_error("server answered with invalid JSON");
  return v;
}

std::string ApiClient::call_raw(const std::string& method, const std::string& path) {
  return send(method, path, "", "").body;
}

}  // namespace hydra::cli
