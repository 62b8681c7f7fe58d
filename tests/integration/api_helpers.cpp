#include "api_helpers.h"

#include <stdexcept>

namespace hydra::itest {

bj::value parse_json(const std::string& text) {
  boost::system::error_code ec;
  bj::value v = bj::parse(text, ec);
  if (ec) throw std::runtime_error("not JSON (" + ec.message() + "): " + text.substr(0, 500));
  return v;
}

std::string str_of(const bj::value& v, std::string_view key) {
  const auto* o = v.if_object();
  if (!o) return "";
  const auto* f = o->if_contains(key);
  return f && f->is_string() ? std::string(f->get_string()) : "";
}

Api::Api(std::string base_url, http::ClientOptions opts)
    : base_(std::move(base_url)), client_(opts) {}

http::ClientResponse Api::call(const std::string& method, const std::string& path,
                               const std::string& body, const std::string& token,
                               http::Headers headers) {
  http::ClientRequest req;
  req.method = method;
  req.url = base_ + path;
  bool has_type = false;
  for (const auto& [k, v] : headers) has_type = has_type || k == "content-type";
  if (!body.empty() && !has_type) headers.emplace_back("content-type", "application/json");
  if (!token.empty()) headers.emplace_back("authorization", "Bearer " + token);
  req.headers = std::move(headers);
  req.body = body;
  return client_.send(req);
}

bj::value Api::expect(int expect_status, const std::string& method, const std::string& path,
                      const bj::value& body, const std::string& token) {
  auto r = call(method, path, body.is_null() ? "" : bj::serialize(body), token);
  if (r.status != expect_status) {
    throw std::runtime_error(method + " " + path + ": expected HTTP " +
                             std::to_string(expect_status) + ", got " + std::to_string(r.status) +
                             ": " + r.body.substr(0, 1000));
  }
  return r.body.empty() ? bj::value(nullptr) : parse_json(r.body);
}

std::string Api::login(const std::string& name, const std::string& password) {
  bj::value r =
      expect(200, "POST", "/api/v1/auth/login", bj::object{{"name", name}, {"password", password}});
  std::string token = str_of(r, "token");
  if (token.empty()) throw std::runtime_error("login answered no token");
  return token;
}

std::vector<bj::value> Api::all_items(const std::string& path, const std::string& token) {
  std::vector<bj::value> out;
  std::string sep = path.find('?') == std::string::npos ? "?" : "&";
  for (int page = 1;; ++page) {
    bj::value r = expect(200, "GET", path + sep + "page_size=200&page=" + std::to_string(page),
                         nullptr, token);
    const auto& items = r.at("items").as_array();
    out.insert(out.end(), items.begin(), items.end());
    if (items.size() < 200 ||
        static_cast<int64_t>(out.size()) >= r.at("total").to_number<int64_t>())
      break;
  }
  return out;
}

::testing::AssertionResult is_error(const http::ClientResponse& r, int status) {
  if (r.status != status) {
    return ::testing::AssertionFailure()
           << "expected HTTP " << status << ", got " << r.status << ": " << r.body.substr(0, 500);
  }
  boost::system::error_code ec;
  bj::value v = bj::parse(r.body, ec);
  const bj::object* err = nullptr;
  if (!ec && v.is_object()) {
    if (const auto* e = v.as_object().if_contains("error")) err = e->if_object();
  }
  if (!err) return ::testing::AssertionFailure() << "no {\"error\":{...}} object: " << r.body;
  for (const char* key : {"message", "type", "param", "code"}) {
    if (!err->contains(key)) {
      return ::testing::AssertionFailure() << "error lacks '" << key << "': " << r.body;
    }
  }
  if (!err->at("message").is_string() || err->at("message").get_string().empty() ||
      !err->at("type").is_string()) {
    return ::testing::AssertionFailure() << "error message/type are not strings: " << r.body;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult is_client_error(const http::ClientResponse& r) {
  if (r.status < 400 || r.status > 499) {
    return ::testing::AssertionFailure()
           << "expected a 4xx answer, got " << r.status << ": " << r.body.substr(0, 500);
  }
  return is_error(r, r.status);
}

}  // namespace hydra::itest
