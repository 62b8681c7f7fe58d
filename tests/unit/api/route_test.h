#pragma once
// Common ground of the API route tests: a SQLite store in a fresh temp dir
// with the runtime templates and the first administrator signed in, a
// router for the test's routes, and call(), which runs a route the way the
// server does (an ApiError becomes its answer in the platform's shape).
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "api/routes.h"
#include "auth/bootstrap.h"
#include "auth/sessions.h"
#include "catalog/runtime_template.h"
#include "common/error.h"
#include "common/random.h"
#include "http/url.h"

namespace hydra::api::testing {

class RouteTest : public ::testing::Test {
 protected:
  // `name` makes the temp dir easy to spot: hydra-<name>-api-<random>.
  explicit RouteTest(std::string name) : name_(std::move(name)) {}

  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("hydra-" + name_ + "-api-" + random_hex(8));
    std::filesystem::create_directories(dir_);
    store::StoreOptions opts;
    opts.synchronous = "NORMAL";
    store_ = store::open_store("sqlite:" + (dir_ / "hydra.db").string(), opts);
    store_->migrate();
    catalog::seed_runtime_templates(*store_);
    cfg_.admin_password = "admin-password";
    cfg_.data_dir = (dir_ / "data").string();
    auth::ensure_admin(*store_, cfg_);
    admin_ = auth::login(*store_, cfg_, {"admin", "admin-password", "127.0.0.1", "r1"}).token;
    ctx_ = std::make_unique<ApiContext>(ApiContext{*store_, cfg_, metrics_});
  }
  void TearDown() override {
    ctx_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  http::Response call(const std::string& method, const std::string& target,
                      const std::string& token, const std::string& body = {},
                      const std::string& content_type = "application/json") {
    http::Request req;
    req.method = method;
    req.target = target;
    size_t q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) req.query = http::parse_query(target.substr(q + 1));
    if (!token.empty()) req.headers.emplace_back("authorization", "Bearer " + token);
    if (!content_type.empty()) req.headers.emplace_back("content-type", content_type);
    req.body = body;
    req.remote_addr = "127.0.0.1";
    const http::Route* route = router_.match(req);
    if (!route) return http::Response::text(404, "no route");
    try {
      return route->handler(req);
    } catch (const ApiError& e) {
      return http::Response::json(e.http_status(), error_body(e.code(), e.what(), e.param()));
    }
  }

  std::string name_;
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  Config cfg_;
  http::Metrics metrics_;
  std::unique_ptr<ApiContext> ctx_;
  http::Router router_;
  std::string admin_;  // the first administrator's session token
};

}  // namespace hydra::api::testing
