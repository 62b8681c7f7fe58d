#include "catalog/deployment_template.h"
#include "catalog/go_template_check.h"
#include "catalog/model_store.h"
#include "catalog/runtime_template.h"
#include "catalog_test_support.h"
#include "common/error.h"
#include "common/json.h"

namespace hydra::catalog {
namespace {

TEST(GoTemplateCheck, AcceptsKnownVariablesAndActions) {
  EXPECT_EQ(go_template_problem("plain text"), "");
  EXPECT_EQ(go_template_problem("{{.MODEL_PATH}}"), "");
  EXPECT_EQ(go_template_problem("--tp={{ .TP_SIZE }} {{- if eq .IS_LEADER \"true\" }}x{{ end -}}"),
            "");
  EXPECT_EQ(go_template_problem("{{ $.MODEL_NAME }} {{/* a comment with .WHATEVER */}}"), "");
  EXPECT_EQ(go_template_problem("{{ printf \"%s.BOGUS\" .MODEL_ID }}"), "");
  EXPECT_EQ(go_template_problem("{{ $x := .CLUSTER }}{{ $x }}"), "");
}

TEST(GoTemplateCheck, RejectsUnbalancedAndUnknown) {
  EXPECT_NE(go_template_problem("{{.MODEL_PATH"), "");
  EXPECT_NE(go_template_problem("MODEL_PATH}}"), "");
  EXPECT_NE(go_template_problem("{{ {{.MODEL_PATH}} }}"), "");
  EXPECT_NE(go_template_problem("{{.MODEL_PTH}}").find("MODEL_PTH"), std::string::npos);
  EXPECT_NE(go_template_problem("{{ \"unterminated }}"), "");
  EXPECT_NE(go_template_problem("ok {{.NAMESPACE}} then {{.nope}}").find("nope"),
            std::string::npos);
}

class TemplateTest : public testing::CatalogTest {
 protected:
  void SetUp() override {
    CatalogTest::SetUp();
    seed_runtime_templates(*st_);
    Model m;
    m.id = "qwen";
    create_model(*st_, m, actor_);
  }

  DeploymentTemplate dt(const std::string& json_text) {
    return deployment_template_from_json(json::parse(json_text));
  }
};

TEST_F(TemplateTest, SeedIsIdempotentAndValid) {
  auto all = list_runtime_templates(*st_);
  std::vector<std::string> names;
  for (const auto& t : all) {
    names.push_back(t.name);
    EXPECT_NO_THROW(validate_runtime_template(t)) << t.name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"hydra-engine", "llama.cpp", "sglang", "vllm"}));
  EXPECT_EQ(seed_runtime_templates(*st_), 0);
  EXPECT_EQ(count("runtime_templates"), 4);
  // An operator's edit survives the next seeding.
  update_runtime_template(*st_, "vllm", json::parse(R"({"executable":"/opt/vllm/bin/vllm"})"),
                          actor_);
  seed_runtime_templates(*st_);
  EXPECT_EQ(get_runtime_template(*st_, "vllm").executable, "/opt/vllm/bin/vllm");
}

TEST_F(TemplateTest, RuntimeTemplateValidationAndCrud) {
  auto bad = [](const char* text) {
    EXPECT_THROW(runtime_template_from_json(json::parse(text)), ApiError) << text;
  };
  bad(R"({"name":"Bad Name","command":"x"})");
  bad(R"({"name":"mine"})");
  bad(R"({"name":"mine","command":"run {{.MODEL_PATH"})");
  bad(R"({"name":"mine","command":"run","args":["{{.UNKNOWN}}"]})");
  bad(R"({"name":"mine","command":"run","env":{"1BAD":"x"}})");
  bad(R"({"name":"mine","command":"run","images":{"gpu":"has space"}})");
  bad(R"({"name":"mine","command":"run","unknown":1})");
  RuntimeTemplate t = runtime_template_from_json(json::parse(
      R"({"name":"mindie","display_name":{"enUS":"MindIE"},"command":"mindie","args":["--model={{.MODEL_PATH}}"],
          "env":{"PORT":"{{.MODEL_PORT}}"},"images":{"ascend":"mindie:1"}})"));
  create_runtime_template(*st_, t, actor_);
  EXPECT_THROW(create_runtime_template(*st_, t, actor_), ApiError);
  RuntimeTemplate got = get_runtime_template(*st_, "mindie");
  EXPECT_EQ(got.args, (std::vector<std::string>{"--model={{.MODEL_PATH}}"}));
  EXPECT_EQ(got.env.at("PORT"), "{{.MODEL_PORT}}");
  EXPECT_EQ(get_runtime_template(*st_, got.id).name, "mindie");  // by id too
  EXPECT_THROW(update_runtime_template(*st_, "mindie", json::parse(R"({"name":"other"})"), actor_),
               ApiError);
  EXPECT_THROW(
      update_runtime_template(*st_, "mindie", json::parse(R"({"command":"{{.X}}"})"), actor_),
      ApiError);
  delete_runtime_template(*st_, "mindie", actor_);
  EXPECT_EQ(audit_count("CreateRuntimeTemplate", "mindie"), 1);
  EXPECT_EQ(audit_count("UpdateRuntimeTemplate", "vllm"), 0);
  EXPECT_EQ(audit_count("DeleteRuntimeTemplate", "mindie"), 1);
}

TEST_F(TemplateTest, DeploymentTemplateValidation) {
  auto problem = [&](const std::string& text) -> std::string {
    try {
      dt(text);
      return "";
    } catch (const ApiError& e) {
      return e.what();
    }
  };
  const std::string base = R"("model_id":"qwen","name":"t1","runtime":"vllm")";
  EXPECT_EQ(
      problem("{" + base + R"(,"resources":{"gpuType":"gpu","gpuCount":1,"cpu":4,"memory":16}})"),
      "");
  EXPECT_EQ(
      problem("{" + base + R"(,"resources":{"gpuType":"cpu","gpuCount":0,"cpu":4,"memory":16}})"),
      "");
  EXPECT_NE(
      problem("{" + base + R"(,"resources":{"gpuType":"gpu","gpuCount":0}})").find("gpuCount is 0"),
      std::string::npos);
  EXPECT_NE(
      problem("{" + base + R"(,"resources":{"gpuType":"cpu","gpuCount":2}})").find("gpuCount is 0"),
      std::string::npos);
  EXPECT_NE(problem("{" + base + R"(,"resources":{"cpu":-1}})").find("negative"),
            std::string::npos);
  EXPECT_NE(problem("{" + base + R"(,"max_model_len":-5})").find("max_model_len"),
            std::string::npos);
  EXPECT_NE(
      problem("{" + base + R"(,"resources":{"gpuType":"gpu","gpuCount":2},"distributed":{"tp":4}})")
          .find("exceeds"),
      std::string::npos);
  EXPECT_EQ(
      problem(
          "{" + base +
          R"(,"resources":{"gpuType":"gpu","gpuCount":2},"distributed":{"tp":2,"pp":2,"nodes":2}})"),
      "");
  EXPECT_NE(problem("{" + base + R"(,"distributed":{"tp":0}})").find("at least 1"),
            std::string::npos);
  EXPECT_NE(problem(R"({"model_id":"qwen","name":"A","runtime":"vllm"})").find("name"),
            std::string::npos);
  EXPECT_NE(problem("{" + base + R"(,"env":{"X":1}})").find("env.X"), std::string::npos);
  EXPECT_NE(problem("{" + base + R"(,"extra":true})").find("extra"), std::string::npos);
}

TEST_F(TemplateTest, DeploymentTemplateCrudNeedsModelAndRuntime) {
  auto t = dt(R"({"model_id":"qwen","name":"vllm-gpu","runtime":"vllm","runtime_version":">=v0.6.5",
                 "resources":{"gpuType":"gpu","gpuCount":1,"cpu":4,"memory":16,"perGPUMemoryGB":24},
                 "custom_args":["--enforce-eager"],"env":{"VLLM_USE_V1":"0"},"max_model_len":8192})");
  DeploymentTemplate created = create_deployment_template(*st_, t, actor_);
  EXPECT_FALSE(created.id.empty());
  EXPECT_THROW(create_deployment_template(*st_, t, actor_), ApiError);  // same name for the model
  auto missing_runtime = t;
  missing_runtime.name = "other";
  missing_runtime.runtime = "no-such-runtime";
  EXPECT_THROW(create_deployment_template(*st_, missing_runtime, actor_), ApiError);
  auto missing_model = t;
  missing_model.model_id = "ghost";
  EXPECT_THROW(create_deployment_template(*st_, missing_model, actor_), ApiError);

  DeploymentTemplate got = get_deployment_template(*st_, created.id);
  EXPECT_EQ(got.resources.per_gpu_memory_gb, 24);
  EXPECT_EQ(got.custom_args, (std::vector<std::string>{"--enforce-eager"}));
  EXPECT_EQ(got.env.at("VLLM_USE_V1"), "0");
  EXPECT_EQ(got.max_model_len, 8192);

  auto updated = update_deployment_template(
      *st_, created.id, json::parse(R"({"runtime":"sglang","distributed":{"tp":1}})"), actor_);
  EXPECT_EQ(updated.runtime, "sglang");
  EXPECT_THROW(
      update_deployment_template(*st_, created.id, json::parse(R"({"runtime":"nope"})"), actor_),
      ApiError);
  EXPECT_THROW(
      update_deployment_template(*st_, created.id, json::parse(R"({"model_id":"other"})"), actor_),
      ApiError);
  EXPECT_EQ(list_deployment_templates(*st_, "qwen").size(), 1u);
  EXPECT_TRUE(list_deployment_templates(*st_, "ghost").empty());
  // A runtime in use cannot be deleted.
  EXPECT_THROW(delete_runtime_template(*st_, "sglang", actor_), ApiError);
  delete_deployment_template(*st_, created.id, actor_);
  EXPECT_THROW(get_deployment_template(*st_, created.id), ApiError);
  EXPECT_EQ(audit_count("AddDeployTemplates", created.id), 1);
  EXPECT_EQ(audit_count("UpdateDeployTemplates", created.id), 1);
  EXPECT_EQ(audit_count("DeleteDeployTemplates", created.id), 1);
}

TEST_F(TemplateTest, DeletingAModelDeletesItsTemplates) {
  create_deployment_template(*st_, dt(R"({"model_id":"qwen","name":"cpu","runtime":"llama.cpp"})"),
                             actor_);
  delete_model(*st_, "qwen", actor_);
  EXPECT_EQ(count("deployment_templates"), 0);
}

}  // namespace
}  // namespace hydra::catalog
