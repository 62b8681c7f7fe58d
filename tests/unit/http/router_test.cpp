#include "http/router.h"

#include <gtest/gtest.h>

#include "http/url.h"

namespace hydra::http {
namespace {

Handler named(std::string name) {
  return [name](Request&) { return Response::text(200, name); };
}

Request make(std::string method, std::string path) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

TEST(Router, MatchesLiteralsCapturesAndRest) {
  Router router;
  router.add("GET", "/api/v1/models", named("list"));
  router.add("GET", "/api/v1/models/{id}", named("get"));
  router.add("POST", "/api/v1/models/{id}/publish", named("publish"));
  router.add("GET", "/v1/routes/{name...}", named("rest"));

  auto req = make("GET", "/api/v1/models/qwen2");
  const Route* r = router.match(req);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->pattern, "/api/v1/models/{id}");
  EXPECT_EQ(req.param("id"), "qwen2");

  req = make("POST", "/api/v1/models/x/publish");
  ASSERT_NE(router.match(req), nullptr);
  EXPECT_EQ(req.param("id"), "x");

  req = make("GET", "/v1/routes/public/qwen/extra");
  ASSERT_NE(router.match(req), nullptr);
  EXPECT_EQ(req.param("name"), "public/qwen/extra");
}

TEST(Router, LiteralBeatsCaptureAndReportsWrongMethod) {
  Router router;
  router.add("GET", "/api/v1/models/{id}", named("get"));
  router.add("GET", "/api/v1/models/import", named("import-get"));
  auto req = make("GET", "/api/v1/models/import");
  EXPECT_EQ(router.match(req)->pattern, "/api/v1/models/import");

  bool path_matched = false;
  req = make("DELETE", "/api/v1/models/abc");
  EXPECT_EQ(router.match(req, &path_matched), nullptr);
  EXPECT_TRUE(path_matched);

  req = make("GET", "/nothing/here");
  EXPECT_EQ(router.match(req, &path_matched), nullptr);
  EXPECT_FALSE(path_matched);
}

TEST(Router, RejectsDuplicateRoutes) {
  Router router;
  router.add("GET", "/a", named("a"));
  EXPECT_THROW(router.add("GET", "/a", named("b")), std::logic_error);
}

TEST(Url, DecodesAndParses) {
  EXPECT_EQ(percent_decode("a%20b%2Fc"), "a b/c");
  EXPECT_EQ(percent_decode("a+b", true), "a b");
  EXPECT_EQ(percent_decode("bad%zz%"), "bad%zz%");
  auto q = parse_query("a=1&b=two%20words&flag&a=3");
  EXPECT_EQ(q["a"], "3");
  EXPECT_EQ(q["b"], "two words");
  EXPECT_EQ(q.count("flag"), 1u);
  EXPECT_EQ(percent_encode("public/qwen 2"), "public%2Fqwen%202");

  Url u = parse_url("https://example.com/v1/models?x=1");
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.target, "/v1/models?x=1");
  EXPECT_EQ(parse_url("http://127.0.0.1:8080").target, "/");
  EXPECT_THROW(parse_url("ftp://x/"), std::invalid_argument);
  EXPECT_THROW(parse_url("not a url"), std::invalid_argument);
}

}  // namespace
}  // namespace hydra::http
