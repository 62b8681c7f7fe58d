#include "catalog/maas_model.h"

#include <sys/stat.h>

#include "catalog/model_store.h"
#include "catalog_test_support.h"
#include "common/error.h"
#include "common/json.h"

namespace hydra::catalog {
namespace {

const char* kPlainKey = "sk-upstream-0123456789abcdef";

class MaasTest : public testing::CatalogTest {
 protected:
  SecretBox box_ = SecretBox::from_passphrase("test passphrase");

  MaasModel make(const std::string& json_text) {
    return maas_model_from_json(json::parse(json_text));
  }

  std::string stored_endpoints(const std::string& id) {
    return st_->query("SELECT endpoints FROM maas_models WHERE id = ?", {id})[0].str("endpoints");
  }

  // The PARAM_ERROR message for a body, or "" when it is accepted.
  std::string problem(const std::string& json_text) {
    try {
      make(json_text);
      return "";
    } catch (const ApiError& e) {
      EXPECT_EQ(e.code(), ErrorCode::kParamError);
      return e.what();
    }
  }
};

TEST_F(MaasTest, ValidationErrors) {
  const std::string ep = R"({"base_url":"https://api.example.com/v1","model":"m"})";
  EXPECT_EQ(problem(R"({"id":"qwen","endpoints":[)" + ep + "]}"), "");
  EXPECT_NE(problem(R"({"id":"qwen","endpoints":[]})").find("at least one endpoint"),
            std::string::npos);
  EXPECT_NE(problem(R"({"id":"Bad Id","endpoints":[)" + ep + "]}").find("invalid"),
            std::string::npos);
  EXPECT_NE(
      problem(R"({"id":"q","endpoints":[{"base_url":"ftp://x/v1","model":"m"}]})").find("http"),
      std::string::npos);
  EXPECT_NE(
      problem(R"({"id":"q","endpoints":[{"base_url":"not a url","model":"m"}]})").find("base_url"),
      std::string::npos);
  EXPECT_NE(
      problem(R"({"id":"q","endpoints":[{"base_url":"https://x","model":""}]})").find("model"),
      std::string::npos);
  EXPECT_NE(problem(R"({"id":"q","endpoints":[{"base_url":"https://x","model":"m","weight":101}]})")
                .find("weight"),
            std::string::npos);
  EXPECT_NE(
      problem(R"({"id":"q","lb_policy":"fastest","endpoints":[)" + ep + "]}").find("lb_policy"),
      std::string::npos);
  EXPECT_NE(problem(R"({"id":"q","lb_policy":"weighted","endpoints":[
      {"base_url":"https://a","model":"m","weight":60},{"base_url":"https://b","model":"m","weight":30}]})")
                .find("sum to 100"),
            std::string::npos);
  EXPECT_EQ(problem(R"({"id":"q","lb_policy":"weighted","endpoints":[
      {"base_url":"https://a","model":"m","weight":70},{"base_url":"http://b:8000/v1","model":"m","weight":30}]})"),
            "");
  EXPECT_NE(problem(R"({"id":"q","endpoints":[)" + ep +
                    R"(],"rate_limits":[{"metric":"bytes","limit":1}]})")
                .find("metric"),
            std::string::npos);
  EXPECT_NE(problem(R"({"id":"q","endpoints":[)" + ep +
                    R"(],"rate_limits":[{"metric":"tokens","limit":0}]})")
                .find("limit"),
            std::string::npos);
  EXPECT_NE(problem(R"({"id":"q","endpoints":[)" + ep +
                    R"(],"rate_limits":[{"metric":"requests","limit":5,"window_seconds":0}]})")
                .find("window_seconds"),
            std::string::npos);
  EXPECT_NE(problem(R"({"id":"q","endpoints":[)" + ep + R"(],"surprise":1})").find("surprise"),
            std::string::npos);
}

TEST_F(MaasTest, ApiKeyIsEncryptedAtRestAndNeverReturned) {
  MaasModel m = make(
      std::string(R"({"id":"qwen-max","display_name":"Qwen Max","endpoints":[
      {"base_url":"https://dashscope.example.com/v1","model":"qwen-max","api_key":")") +
      kPlainKey + R"("}],"rate_limits":[{"metric":"requests","limit":60,"window_seconds":60}]})");
  create_maas_model(*st_, m, box_, actor_);
  std::string stored = stored_endpoints("qwen-max");
  EXPECT_EQ(stored.find(kPlainKey), std::string::npos);
  EXPECT_NE(stored.find("enc:v1:"), std::string::npos);
  MaasModel back = get_maas_model(*st_, "qwen-max");
  EXPECT_EQ(endpoint_api_key(back, 0, box_), kPlainKey);
  std::string out = json::dump(to_json(back));
  EXPECT_EQ(out.find(kPlainKey), std::string::npos);
  EXPECT_EQ(out.find("enc:v1:"), std::string::npos);
  auto ep = to_json(back).at("endpoints").as_array()[0].as_object();
  EXPECT_EQ(ep.at("has_api_key").as_bool(), true);
  EXPECT_EQ(ep.at("api_key_masked").as_string(), "sk-...cdef");
  EXPECT_EQ(to_json(back).at("access_name").as_string(), "public/qwen-max");
  // Another key does not open it.
  EXPECT_THROW(endpoint_api_key(back, 0, SecretBox::from_passphrase("other")), std::runtime_error);
  EXPECT_EQ(audit_count("CreateMAASModel", "qwen-max"), 1);
}

TEST_F(MaasTest, UpdateKeepsKeyUnlessReplacedOrCleared) {
  create_maas_model(
      *st_,
      make(std::string(
               R"({"id":"m1","endpoints":[{"base_url":"https://a/v1","model":"x","api_key":")") +
           kPlainKey + R"("}]})"),
      box_, actor_);
  MaasModel u = update_maas_model(
      *st_, "m1",
      json::parse(R"({"endpoints":[{"base_url":"https://a/v1","model":"x","weight":100}],
                                                  "lb_policy":"weighted"})"),
      box_, actor_);
  EXPECT_EQ(endpoint_api_key(u, 0, box_), kPlainKey);
  u = update_maas_model(
      *st_, "m1", json::parse(R"({"endpoints":[{"base_url":"https://a/v1","model":"x","weight":100,
                                        "api_key":"sk-new-key-000000000"}]})"),
      box_, actor_);
  EXPECT_EQ(endpoint_api_key(get_maas_model(*st_, "m1"), 0, box_), "sk-new-key-000000000");
  u = update_maas_model(
      *st_, "m1",
      json::parse(
          R"({"endpoints":[{"base_url":"https://a/v1","model":"x","weight":100,"api_key":""}]})"),
      box_, actor_);
  EXPECT_FALSE(to_json(get_maas_model(*st_, "m1"))
                   .at("endpoints")
                   .as_array()[0]
                   .at("has_api_key")
                   .as_bool());
  EXPECT_EQ(audit_count("UpdateMAASModel", "m1"), 3);
  EXPECT_THROW(update_maas_model(*st_, "m1", json::parse(R"({"lb_policy":"x"})"), box_, actor_),
               ApiError);
}

TEST_F(MaasTest, EnableDisableDeleteAudited) {
  create_maas_model(*st_, make(R"({"id":"m2","endpoints":[{"base_url":"https://a","model":"x"}]})"),
                    box_, actor_);
  EXPECT_TRUE(set_maas_enabled(*st_, "m2", true, actor_).enabled);
  EXPECT_FALSE(set_maas_enabled(*st_, "m2", false, actor_).enabled);
  EXPECT_EQ(audit_count("EnabledMAASModel", "m2"), 2);
  EXPECT_THROW(create_maas_model(
                   *st_, make(R"({"id":"m2","endpoints":[{"base_url":"https://a","model":"x"}]})"),
                   box_, actor_),
               ApiError);
  delete_maas_model(*st_, "m2", actor_);
  EXPECT_EQ(audit_count("DeleteMAASModel", "m2"), 1);
  EXPECT_THROW(get_maas_model(*st_, "m2"), ApiError);
  EXPECT_THROW(set_maas_enabled(*st_, "m2", true, actor_), ApiError);
}

TEST_F(MaasTest, ModelReferenceMustExist) {
  EXPECT_THROW(
      create_maas_model(
          *st_,
          make(
              R"({"id":"m3","model_id":"ghost","endpoints":[{"base_url":"https://a","model":"x"}]})"),
          box_, actor_),
      ApiError);
  Model m;
  m.id = "ghost";
  create_model(*st_, m, actor_);
  create_maas_model(
      *st_,
      make(R"({"id":"m3","model_id":"ghost","endpoints":[{"base_url":"https://a","model":"x"}]})"),
      box_, actor_);
  EXPECT_EQ(list_maas_models(*st_).size(), 1u);
}

TEST_F(MaasTest, KeyFileIsCreatedOnceWithMode0600) {
  Config cfg;
  cfg.data_dir = (dir_ / "data").string();
  LazySecretBox lazy(cfg);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "data" / "secret.key"));
  std::string sealed = lazy.get().seal("hello");
  struct stat info {};
  ASSERT_EQ(::stat((dir_ / "data" / "secret.key").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  // A second server on the same data dir reads the same key.
  EXPECT_EQ(SecretBox::from_config(cfg).open(sealed), "hello");
  cfg.secret_key = "from-env";
  EXPECT_THROW(SecretBox::from_config(cfg).open(sealed), std::runtime_error);
  EXPECT_EQ(SecretBox::from_config(cfg).open(SecretBox::from_passphrase("from-env").seal("x")),
            "x");
}

TEST_F(MaasTest, TamperedOrForeignValuesDoNotOpen) {
  std::string sealed = box_.seal("secret");
  EXPECT_NE(box_.seal("secret"), sealed);  // fresh nonce each time
  std::string tampered = sealed;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_THROW(box_.open(tampered), std::runtime_error);
  EXPECT_THROW(box_.open("plain"), std::runtime_error);
  EXPECT_THROW(box_.open("enc:v1:!!!"), std::runtime_error);
  EXPECT_EQ(mask_secret("short"), "****");
}

}  // namespace
}  // namespace hydra::catalog
