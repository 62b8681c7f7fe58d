// The catalog routes (providers, models + import, MaaS models, templates)
// called through the router as the server calls them, against SQLite in a
// temp dir, as an administrator and as a plain user.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/routes.h"
#include "auth/password.h"
#include "auth/users.h"
#include "catalog/runtime_template.h"
#include "common/error.h"
#include "common/random.h"
#include "common/strings.h"
#include "route_test.h"

namespace hydra::api {
namespace {

namespace bj = boost::json;
namespace fs = std::filesystem;

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class CatalogRoutes : public testing::RouteTest {
 protected:
  CatalogRoutes() : RouteTest("catalog") {}
  void SetUp() override {
    RouteTest::SetUp();
    auth::NewUser nu;
    nu.name = "bob";
    nu.password_hash = auth::hash_password("bob-password");
    store_->transact([&](store::Session& s) { auth::create_user(s, nu); });
    bob_ = auth::login(*store_, cfg_, {"bob", "bob-password", "127.0.0.1", "r2"}).token;
    register_provider_routes(router_, *ctx_);
    register_model_routes(router_, *ctx_);
    register_maas_routes(router_, *ctx_);
    register_template_routes(router_, *ctx_);
  }
  bj::value json_of(const http::Response& r) { return bj::parse(r.body); }

  std::vector<std::string> model_ids(const std::string& query, const std::string& token) {
    http::Response r = call("GET", "/api/v1/models" + query, token);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> ids;
    bj::value body = json_of(r);  // range-for would not keep a temporary alive
    for (const auto& m : body.at("items").as_array()) ids.emplace_back(m.at("id").as_string());
    return ids;
  }

  int64_t audits(const std::string& action) {
    return store_->query("SELECT COUNT(*) AS n FROM audit_events WHERE action = ?", {action})[0]
        .i64("n");
  }

  std::string metadata(const char* rel) {
    return read_text(fs::path(HYDRA_TESTDATA_DIR) / "modelhub" / rel / "metadata.yaml");
  }

  std::string bob_;
};

TEST_F(CatalogRoutes, ImportFromBodyMultipartAndJsonThenPublishForUsers) {
  http::Response r = call("POST", "/api/v1/models/import", admin_,
                          metadata("alibaba/qwen2.5-7b-instruct"), "application/yaml");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_of(r).at("created").as_int64(), 1);

  std::string boundary = "b0undary";
  std::string form =
      "--" + boundary +
      "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"m.yaml\"\r\n\r\n" +
      metadata("deepseek/deepseek-r1") + "\r\n--" + boundary + "--\r\n";
  r = call("POST", "/api/v1/models/import", admin_, form,
           "multipart/form-data; boundary=" + boundary);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_of(r).at("items").as_array()[0].at("status").as_string(), "created");

  bj::object j{{"yaml", metadata("meta/llama-3.2-11b-vision-instruct") + "---\n" +
                            metadata("deepseek/deepseek-r1")}};
  r = call("POST", "/api/v1/models/import?dry_run=true", admin_, bj::serialize(j));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_of(r).at("dry_run").as_bool(), true);
  EXPECT_EQ(json_of(r).at("created").as_int64(), 1);
  EXPECT_EQ(json_of(r).at("exists").as_int64(), 1);
  EXPECT_EQ(model_ids("", admin_).size(), 2u);  // dry run wrote nothing
  r = call("POST", "/api/v1/models/import", admin_, bj::serialize(j));
  EXPECT_EQ(json_of(r).at("created").as_int64(), 1);
  EXPECT_EQ(json_of(r).at("items").as_array()[1].at("status").as_string(), "exists");

  // Users see published models only.
  EXPECT_TRUE(model_ids("", bob_).empty());
  EXPECT_EQ(call("GET", "/api/v1/models/deepseek-r1", bob_).status, 404);
  EXPECT_EQ(call("POST", "/api/v1/models/deepseek-r1/publish", bob_).status, 403);
  EXPECT_EQ(call("POST", "/api/v1/models/deepseek-r1/publish", admin_).status, 200);
  EXPECT_EQ(model_ids("", bob_), (std::vector<std::string>{"deepseek-r1"}));
  EXPECT_EQ(model_ids("?published=false", bob_), (std::vector<std::string>{"deepseek-r1"}));
  EXPECT_EQ(call("GET", "/api/v1/models/deepseek-r1", bob_).status, 200);
  EXPECT_EQ(call("POST", "/api/v1/models/deepseek-r1/unpublish", admin_).status, 200);
  EXPECT_TRUE(model_ids("", bob_).empty());
  EXPECT_EQ(audits("ImportModel"), 3);
  EXPECT_EQ(audits("PublishModel"), 1);
  EXPECT_EQ(audits("UnPublishModel"), 1);
}

TEST_F(CatalogRoutes, ModelFiltersAndErrors) {
  std::string all;
  for (const char* rel : {"alibaba/qwen2.5-7b-instruct", "alibaba/qwen2.5-14b-instruct",
                          "deepseek/deepseek-r1", "meta/llama-3.2-11b-vision-instruct"}) {
    all += "---\n" + metadata(rel);
  }
  ASSERT_EQ(call("POST", "/api/v1/models/import", admin_, all, "text/yaml").status, 200);
  EXPECT_EQ(model_ids("?provider=alibaba", admin_).size(), 2u);
  EXPECT_EQ(model_ids("?provider=alibaba,meta", admin_).size(), 3u);
  EXPECT_EQ(model_ids("?tag=tools", admin_).size(), 2u);
  EXPECT_EQ(model_ids("?tag=IMAGE_TO_TEXT&provider=meta", admin_).size(), 1u);
  EXPECT_EQ(model_ids("?keyword=QWEN2.5-14B", admin_),
            (std::vector<std::string>{"qwen2.5-14b-instruct"}));
  EXPECT_EQ(model_ids("?page=2&page_size=3", admin_).size(), 1u);
  EXPECT_EQ(call("GET", "/api/v1/models?published=maybe", admin_).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/models", "").status, 401);
  EXPECT_EQ(call("POST", "/api/v1/models/import", admin_, "a: [", "text/yaml").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/models/import", admin_, R"({"url":"ftp://x"})").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/models/import", bob_, all, "text/yaml").status, 403);
  EXPECT_EQ(call("POST", "/api/v1/models", admin_, R"({"id":"x","colour":"red"})").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/models", admin_, R"({"id":"deepseek-r1"})").status, 409);
  http::Response r = call("POST", "/api/v1/models", admin_,
                          R"({"id":"mine","display_name":"Mine","provider_id":"meta"})");
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(call("PATCH", "/api/v1/models/mine", admin_, R"({"display_name":"Mine 2"})").status,
            200);
  EXPECT_EQ(call("DELETE", "/api/v1/models/mine", admin_).status, 204);
  EXPECT_EQ(call("DELETE", "/api/v1/models/mine", admin_).status, 404);
  EXPECT_EQ(audits("CreateModel"), 1);
  EXPECT_EQ(audits("UpdateModel"), 1);
  EXPECT_EQ(audits("DeleteModel"), 1);
}

TEST_F(CatalogRoutes, ProvidersCrud) {
  http::Response r = call("POST", "/api/v1/providers", admin_,
                          R"({"id":"acme","name":{"enUS":"Acme","zhCN":"艾克米"}})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(call("POST", "/api/v1/providers", admin_, R"({"id":"acme"})").status, 409);
  EXPECT_EQ(call("POST", "/api/v1/providers", bob_, R"({"id":"other"})").status, 403);
  EXPECT_EQ(json_of(call("GET", "/api/v1/providers", bob_)).at("total").as_int64(), 1);
  EXPECT_EQ(call("PATCH", "/api/v1/providers/acme", admin_, R"({"icon":"https://i"})").status, 200);
  EXPECT_EQ(json_of(call("GET", "/api/v1/providers/acme", bob_)).at("icon").as_string(),
            "https://i");
  EXPECT_EQ(call("DELETE", "/api/v1/providers/acme", admin_).status, 204);
  EXPECT_EQ(
      audits("CreateModelProvider") + audits("UpdateModelProvider") + audits("DeleteModelProvider"),
      3);
}

TEST_F(CatalogRoutes, MaasModelsHideKeysAndUpstreamsFromUsers) {
  const std::string key = "sk-route-test-key-7890";
  http::Response r = call(
      "POST", "/api/v1/maas-models", admin_,
      R"({"id":"qwen-max","endpoints":[{"base_url":"https://up.example.com/v1","model":"qwen-max","api_key":")" +
          key + R"("}]})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.body.find(key), std::string::npos);
  EXPECT_NE(r.body.find("sk-...7890"), std::string::npos);
  EXPECT_TRUE(fs::exists(fs::path(cfg_.data_dir) / "secret.key"));
  // Disabled routes are invisible to users; enabled ones show no upstream details.
  EXPECT_EQ(json_of(call("GET", "/api/v1/maas-models", bob_)).at("total").as_int64(), 0);
  EXPECT_EQ(call("POST", "/api/v1/maas-models/qwen-max/enable", bob_).status, 403);
  EXPECT_EQ(call("POST", "/api/v1/maas-models/qwen-max/enable", admin_).status, 200);
  r = call("GET", "/api/v1/maas-models/qwen-max", bob_);
  ASSERT_EQ(r.status, 200);
  EXPECT_FALSE(json_of(r).as_object().contains("endpoints"));
  EXPECT_EQ(json_of(r).at("access_name").as_string(), "public/qwen-max");
  r = call("GET", "/api/v1/maas-models/qwen-max", admin_);
  EXPECT_EQ(r.body.find(key), std::string::npos);
  EXPECT_EQ(
      call("PATCH", "/api/v1/maas-models/qwen-max", admin_, R"({"lb_policy":"weighted"})").status,
      400);
  EXPECT_EQ(call("POST", "/api/v1/maas-models/qwen-max/disable", admin_).status, 200);
  EXPECT_EQ(call("DELETE", "/api/v1/maas-models/qwen-max", admin_).status, 204);
  EXPECT_EQ(audits("EnabledMAASModel"), 2);
  auto rows = store_->query("SELECT endpoints FROM maas_models");
  EXPECT_TRUE(rows.empty());
}

TEST_F(CatalogRoutes, TemplatesReadableByUsersForPublishedModels) {
  ASSERT_EQ(call("POST", "/api/v1/models/import", admin_, metadata("alibaba/qwen2-0.5b-instruct"),
                 "text/yaml")
                .status,
            200);
  auto list = [&](const std::string& token) {
    return json_of(call("GET", "/api/v1/deployment-templates?model_id=qwen2-0.5b-instruct", token))
        .at("total")
        .as_int64();
  };
  EXPECT_EQ(list(admin_), 3);
  EXPECT_EQ(list(bob_), 0);
  call("POST", "/api/v1/models/qwen2-0.5b-instruct/publish", admin_);
  EXPECT_EQ(list(bob_), 3);
  http::Response r =
      call("POST", "/api/v1/deployment-templates", admin_,
           R"({"model_id":"qwen2-0.5b-instruct","name":"engine-cpu","runtime":"hydra-engine",
                              "resources":{"gpuType":"cpu","cpu":4,"memory":8}})");
  ASSERT_EQ(r.status, 201) << r.body;
  std::string id(json_of(r).at("id").as_string());
  EXPECT_EQ(call("PATCH", "/api/v1/deployment-templates/" + id, admin_, R"({"max_model_len":4096})")
                .status,
            200);
  EXPECT_EQ(
      call("PATCH", "/api/v1/deployment-templates/" + id, bob_, R"({"max_model_len":1})").status,
      403);
  EXPECT_EQ(call("GET", "/api/v1/deployment-templates/" + id, bob_).status, 200);
  EXPECT_EQ(call("DELETE", "/api/v1/deployment-templates/" + id, admin_).status, 204);
  EXPECT_EQ(audits("AddDeployTemplates") + audits("UpdateDeployTemplates") +
                audits("DeleteDeployTemplates"),
            3);

  EXPECT_EQ(json_of(call("GET", "/api/v1/runtime-templates", bob_)).at("total").as_int64(), 4);
  EXPECT_EQ(call("GET", "/api/v1/runtime-templates/llama.cpp", bob_).status, 200);
  r = call("POST", "/api/v1/runtime-templates", admin_,
           R"({"name":"mindie","command":"mindie {{.MODEL_PATH}}"})");
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(
      call("POST", "/api/v1/runtime-templates", admin_, R"({"name":"bad","command":"{{.NOPE}}"})")
          .status,
      400);
  EXPECT_EQ(call("DELETE", "/api/v1/runtime-templates/vllm", admin_).status,
            409);  // imported templates use it
  EXPECT_EQ(call("DELETE", "/api/v1/runtime-templates/mindie", admin_).status, 204);
}

}  // namespace
}  // namespace hydra::api
