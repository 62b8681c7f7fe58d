#pragma once
// HTTP and JSON helpers for driving a running hydra server in tests.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "http/client.h"

namespace hydra::itest {

namespace bj = boost::json;

// Parses JSON; throws std::runtime_error quoting the text when it is not JSON.
bj::value parse_json(const std::string& text);
// o[key] as a string ("" when absent or not a string).
std::string str_of(const bj::value& v, std::string_view key);

class Api {
 public:
  explicit Api(std::string base_url, http::ClientOptions opts = {});

  // One request; a non-empty body is sent as application/json unless
  // `headers` names another content type.
  http::ClientResponse call(const std::string& method, const std::string& path,
                            const std::string& body = "", const std::string& token = "",
                            http::Headers headers = {});
  // A request that must answer `expect_status`; the parsed body (null when
  // empty). Throws std::runtime_error with the answer otherwise.
  bj::value expect(int expect_status, const std::string& method, const std::string& path,
                   const bj::value& body = nullptr, const std::string& token = "");
  // POST /api/v1/auth/login; the session token.
  std::string login(const std::string& name, const std::string& password);
  // Every item of a paginated list (walks pages of 200).
  std::vector<bj::value> all_items(const std::string& path, const std::string& token);

  const std::string& base() const { return base_; }

 private:
  std::string base_;
  http::Client client_;
};

// The answer is `status` with the OpenAI error shape
// {"error":{"message":string,"type":string,"param":...,"code":...}}.
::testing::AssertionResult is_error(const http::ClientResponse& r, int status);
// The answer is some 4xx with the OpenAI error shape.
::testing::AssertionResult is_client_error(const http::ClientResponse& r);

}  // namespace hydra::itest
