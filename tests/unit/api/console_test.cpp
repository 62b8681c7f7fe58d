// The web console's static serving, driven through the router and the HTTP
// request parser as the server drives them: cache headers, content types,
// the single-page fallback, API 404s, the page shown before the app is
// built, and path traversal in every spelling the parser decodes.
#include "api/console.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "api/static_site.h"
#include "common/random.h"
#include "http/dispatch.h"
#include "http/request_parse.h"

namespace hydra::api {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

class ConsoleServing : public ::testing::Test {
 protected:
  void SetUp() override {
    top_ = fs::temp_directory_path() / ("hydra-console-" + random_hex(8));
    dist_ = top_ / "dist";
    write(dist_ / "index.html", "<!doctype html><title>app</title><div id=root></div>");
    write(dist_ / "assets" / "index-4f2a9c.js", "console.log('app')");
    write(dist_ / "assets" / "index-77aa01.css", "body{margin:0}");
    write(dist_ / "favicon.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>");
    write(top_ / "secret.txt", "top secret");
    fs::create_symlink(top_ / "secret.txt", dist_ / "assets" / "link.txt");
    cfg_.web_dir = dist_.string();
    register_console_routes(router_, cfg_);
  }
  void TearDown() override { fs::remove_all(top_); }

  // Parses raw request bytes as the server does (percent-decoding included).
  http::Response get(const std::string& target, const std::string& extra_headers = "",
                     const std::string& method = "GET") {
    std::string bytes = method + " " + target + " HTTP/1.1\r\nHost: x\r\n" + extra_headers + "\r\n";
    auto parsed = http::parse_request(bytes, 16 << 10, 1 << 20);
    EXPECT_TRUE(parsed.complete) << parsed.error;
    std::string label;
    return http::dispatch(router_, parsed.request, &label);
  }

  static std::string header(const http::Response& r, const char* name) {
    const std::string* v = r.header(name);
    return v ? *v : "";
  }

  fs::path top_, dist_;
  Config cfg_;
  http::Router router_;
};

TEST_F(ConsoleServing, IndexRevalidatesAndHashedAssetsAreImmutable) {
  auto index = get("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(header(index, "content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(header(index, "cache-control"), "no-cache");
  EXPECT_NE(index.body.find("<div id=root>"), std::string::npos);

  auto js = get("/assets/index-4f2a9c.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(header(js, "content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(header(js, "cache-control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(js.body, "console.log('app')");

  auto css = get("/assets/index-77aa01.css");
  EXPECT_EQ(header(css, "content-type"), "text/css; charset=utf-8");

  auto icon = get("/favicon.svg");
  EXPECT_EQ(icon.status, 200);
  EXPECT_EQ(header(icon, "content-type"), "image/svg+xml");
  EXPECT_EQ(header(icon, "cache-control"), "no-cache");
}

TEST_F(ConsoleServing, EtagAnswers304) {
  auto first = get("/assets/index-4f2a9c.js");
  std::string etag = header(first, "etag");
  ASSERT_FALSE(etag.empty());
  auto again = get("/assets/index-4f2a9c.js", "If-None-Match: " + etag + "\r\n");
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(get("/", "If-None-Match: \"other\"\r\n").status, 200);
}

TEST_F(ConsoleServing, AppPagesFallBackToIndex) {
  for (const char* path : {"/square", "/playground?model=public%2Fqwen", "/admin/models/x/y",
                           "/square/qwen2-0.5b-instruct", "/keys/"}) {
    auto r = get(path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(header(r, "cache-control"), "no-cache") << path;
    EXPECT_NE(r.body.find("<div id=root>"), std::string::npos) << path;
  }
}

TEST_F(ConsoleServing, MissingFilesAndApiPathsAre404) {
  for (const char* path : {"/assets/gone-123.js", "/missing.png", "/robots.txt", "/api",
                           "/api/v1/nothing-here", "/v1", "/v1/nothing-here"}) {
    auto r = get(path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_NE(r.body.find("\"error\""), std::string::npos) << path;  // OpenAI-shaped JSON
    EXPECT_EQ(r.body.find("<div id=root>"), std::string::npos) << path;
  }
  // Only GET falls back: other methods on unknown paths stay 404.
  EXPECT_EQ(get("/square", "", "POST").status, 404);
  EXPECT_EQ(get("/square", "", "DELETE").status, 404);
}

TEST_F(ConsoleServing, TraversalNeverLeavesTheDirectory) {
  for (const char* path :
       {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt", "/..%5csecret.txt",
        "/assets/%5c..%5c..%5csecret.txt", "/assets/link.txt", "//etc/passwd",
        "/assets//etc/passwd", "/./index.html", "/assets/./index-4f2a9c.js", "/%00index.html"}) {
    auto r = get(path);
    EXPECT_EQ(r.body.find("top secret"), std::string::npos) << path;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << path;
    EXPECT_NE(r.status, 500) << path;
  }
  StaticSite site(dist_);
  EXPECT_FALSE(site.resolve("/../secret.txt"));
  EXPECT_FALSE(site.resolve("/assets/link.txt"));  // symlink pointing outside
  EXPECT_FALSE(site.resolve("/assets"));           // a directory
  EXPECT_FALSE(site.resolve("/etc/passwd"));
  ASSERT_TRUE(site.resolve("/assets/index-4f2a9c.js"));
  EXPECT_EQ(*site.resolve("/"), fs::canonical(dist_ / "index.html"));
}

TEST_F(ConsoleServing, UnbuiltConsoleExplainsHowToBuildIt) {
  http::Router router;
  Config cfg;
  cfg.web_dir = (top_ / "not-built").string();
  register_console_routes(router, cfg);
  for (const char* path : {"/", "/square"}) {
    std::string bytes = std::string("GET ") + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
    auto parsed = http::parse_request(bytes, 16 << 10, 1 << 20);
    std::string label;
    auto r = http::dispatch(router, parsed.request, &label);
    EXPECT_EQ(r.status, 503) << path;
    EXPECT_EQ(*r.header("content-type"), "text/html; charset=utf-8");
    EXPECT_NE(r.body.find("has not been built"), std::string::npos);
    EXPECT_NE(r.body.find("make build"), std::string::npos);
    EXPECT_NE(r.body.find("not-built"), std::string::npos);  // names the directory
  }
}

TEST_F(ConsoleServing, DefaultDirectoryIsTheSourceTreesBuild) {
  Config cfg;
  EXPECT_EQ(console_dir(cfg), std::string(HYDRA_SOURCE_DIR) + "/web/dist");
  cfg.web_dir = "/srv/console";
  EXPECT_EQ(console_dir(cfg), "/srv/console");
}

TEST(ContentTypes, ByExtension) {
  EXPECT_EQ(content_type_for("a/b.woff2"), "font/woff2");
  EXPECT_EQ(content_type_for("x.png"), "image/png");
  EXPECT_EQ(content_type_for("x.json"), "application/json");
  EXPECT_EQ(content_type_for("x.unknown"), "application/octet-stream");
  EXPECT_EQ(content_type_for("noext"), "application/octet-stream");
}

}  // namespace
}  // namespace hydra::api
