#include "http/message.h"

#include <boost/json/serialize.hpp>

#include "common/strings.h"

namespace hydra::http {

const std::string* find_header(const Headers& headers, std::string_view lower_name) {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return &v;
  }
  return nullptr;
}

const std::string* Request::header(std::string_view name) const {
  return find_header(headers, name);
}

std::string Request::cookie(std::string_view name) const {
  const std::string* raw = header("cookie");
  if (!raw) return {};
  for (const auto& part : split(*raw, ';')) {
    std::string item = trim(part);
    size_t eq = item.find('=');
    if (eq != std::string::npos && item.compare(0, eq, name) == 0 && eq == name.size()) {
      return item.substr(eq + 1);
    }
  }
  return {};
}

std::string Request::param(std::string_view name) const {
  auto it = path_params.find(std::string(name));
  return it == path_params.end() ? std::string() : it->second;
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  auto it = query.find(std::string(name));
  if (it == query.end()) return std::nullopt;
  return it->second;
}

void Response::set_header(std::string name, std::string value) {
  for (auto& [k, v] : headers) {
    if (k == name) {
      v = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
}

const std::string* Response::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return &v;
  }
  return nullptr;
}

Response Response::json(int status, const boost::json::value& body) {
  Response r;
  r.status = status;
  r.body = boost::json::serialize(body);
  r.headers.emplace_back("Content-Type", "application/json");
  return r;
}

Response Response::text(int status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("Content-Type", std::move(content_type));
  return r;
}

Response Response::no_content() {
  Response r;
  r.status = 204;
  return r;
}

}  // namespace hydra::http
