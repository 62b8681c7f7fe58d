// Imports every ModelHub file of the shared test data and checks the
// results against values read from the YAML independently.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "catalog/model_import.h"
#include "catalog/model_store.h"
#include "catalog/provider.h"
#include "catalog_test_support.h"
#include "common/error.h"

namespace hydra::catalog {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every <provider>/<model>/metadata.yaml under the test data, sorted.
std::vector<fs::path> metadata_files() {
  std::vector<fs::path> out;
  for (const auto& e :
       fs::recursive_directory_iterator(fs::path(HYDRA_TESTDATA_DIR) / "modelhub")) {
    if (e.is_regular_file() && e.path().filename() == "metadata.yaml") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class ModelHubImportTest : public testing::CatalogTest {
 protected:
  std::vector<ImportResult> import_text(const std::string& text, ImportOptions opts = {}) {
    return import_models(*st_, parse_modelhub(text), opts, actor_);
  }
};

TEST_F(ModelHubImportTest, EveryTestDataFileImports) {
  auto files = metadata_files();
  ASSERT_GE(files.size(), 20u) << "test data not found under " << HYDRA_TESTDATA_DIR;
  for (const auto& f : files) {
    auto results = import_text(read_text(f));
    ASSERT_EQ(results.size(), 1u) << f;
    EXPECT_EQ(results[0].status, "created") << f << ": " << results[0].reason;
    YAML::Node doc = YAML::LoadFile(f.string());
    EXPECT_EQ(results[0].id, doc["metadata"]["name"].as<std::string>()) << f;
    EXPECT_EQ(results[0].templates, doc["spec"]["deployments"].size()) << f;
  }
  EXPECT_EQ(count("models"), static_cast<int64_t>(files.size()));
  EXPECT_EQ(audit_count("ImportModel"), static_cast<int64_t>(files.size()));
  // One provider per provider directory, created by the import.
  std::set<std::string> dirs;
  for (const auto& f : files) dirs.insert(f.parent_path().parent_path().filename().string());
  EXPECT_EQ(count("providers"), static_cast<int64_t>(dirs.size()));
  EXPECT_EQ(audit_count("CreateModelProvider"), static_cast<int64_t>(dirs.size()));
}

TEST_F(ModelHubImportTest, FieldsMatchTheYaml) {
  for (const auto& f : metadata_files()) import_text(read_text(f));
  for (const char* rel : {"alibaba/qwen2.5-14b-instruct", "meta/llama-3.2-11b-vision-instruct",
                          "deepseek/deepseek-r1"}) {
    fs::path file = fs::path(HYDRA_TESTDATA_DIR) / "modelhub" / rel / "metadata.yaml";
    YAML::Node doc = YAML::LoadFile(file.string());
    YAML::Node d = doc["spec"]["descriptor"];
    Model m = get_model(*st_, doc["metadata"]["name"].as<std::string>());
    EXPECT_EQ(m.display_name, d["display"].as<std::string>());
    EXPECT_EQ(m.provider_id, d["provider"]["id"].as<std::string>());
    EXPECT_EQ(m.description.en_us, d["description"]["enUS"].as<std::string>());
    EXPECT_EQ(m.description.zh_cn, d["description"]["zhCN"].as<std::string>());
    auto tags = d["tags"].as<std::vector<std::string>>();
    std::sort(tags.begin(), tags.end());
    std::sort(m.tags.begin(), m.tags.end());
    EXPECT_EQ(m.tags, tags) << rel;
    EXPECT_EQ(m.max_tokens, doc["spec"]["config"]["maxTokens"].as<int64_t>());
    EXPECT_EQ(m.sources.huggingface,
              doc["spec"]["source"]["huggingface"]["name"].as<std::string>());
    EXPECT_EQ(m.icon, d["icon"]["src"].as<std::string>());
    EXPECT_FALSE(m.published);
    Provider p = get_provider(*st_, m.provider_id);
    EXPECT_EQ(p.name.zh_cn, d["provider"]["name"]["zhCN"].as<std::string>());
    auto templates = list_deployment_templates(*st_, m.id);
    ASSERT_EQ(templates.size(), doc["spec"]["deployments"].size());
    YAML::Node first = doc["spec"]["deployments"][0];
    EXPECT_EQ(templates[0].runtime, first["runtime"].as<std::string>());
    EXPECT_EQ(m.deployments.size(), doc["spec"]["deployments"].size());
  }
}

TEST_F(ModelHubImportTest, CustomArgsAndEnvBecomeTemplateFields) {
  fs::path file =
      fs::path(HYDRA_TESTDATA_DIR) / "modelhub/deepseek/deepseek-r1-distill-qwen-32b/metadata.yaml";
  YAML::Node doc = YAML::LoadFile(file.string());
  import_text(read_text(file));
  auto templates = list_deployment_templates(*st_, "deepseek-r1-distill-qwen-32b");
  ASSERT_EQ(templates.size(), 1u);
  YAML::Node dep = doc["spec"]["deployments"][0];
  EXPECT_EQ(templates[0].custom_args, dep["customRuntimeArgs"].as<std::vector<std::string>>());
  EXPECT_EQ(templates[0].env.at("VLLM_USE_V1"), dep["env"][0]["value"].as<std::string>());
  EXPECT_EQ(templates[0].max_model_len, 32768);  // from --max-model-len=32768
  EXPECT_EQ(templates[0].resources.gpu_count,
            dep["resourceRequirements"]["gpuCount"].as<int64_t>());
  EXPECT_EQ(templates[0].runtime_version, dep["versionRequired"].as<std::string>());
}

std::string merged_stream(const std::vector<fs::path>& files) {
  std::string out;
  for (const auto& f : files) out += "---\n" + read_text(f) + "\n";
  return out;
}

// The same specs as one YAML sequence, built with yaml-cpp's emitter.
std::string merged_sequence(const std::vector<fs::path>& files, const char* wrapper) {
  YAML::Node list(YAML::NodeType::Sequence);
  for (const auto& f : files) list.push_back(YAML::LoadFile(f.string()));
  YAML::Emitter out;
  if (wrapper) {
    YAML::Node root;
    root["apiVersion"] = "model.hydra.io/v1alpha1";
    root[wrapper] = list;
    out << root;
  } else {
    out << list;
  }
  return out.c_str();
}

TEST_F(ModelHubImportTest, MergedIndexInEveryShapeImports) {
  auto files = metadata_files();
  std::vector<std::string> texts = {
      merged_stream(files), merged_sequence(files, nullptr), merged_sequence(files, "models"),
      merged_sequence(files, "items"), merged_sequence(files, "entries")};
  for (const auto& text : texts) {
    auto items = parse_modelhub(text);
    ASSERT_EQ(items.size(), files.size());
    for (const auto& item : items) EXPECT_EQ(item.error, "") << item.id;
  }
  auto results = import_text(texts[0]);
  for (const auto& r : results) EXPECT_EQ(r.status, "created") << r.id << ": " << r.reason;
  EXPECT_EQ(count("models"), static_cast<int64_t>(files.size()));
}

TEST_F(ModelHubImportTest, ReimportRefusesExistingPerItemWhileNewOnesGoIn) {
  auto files = metadata_files();
  std::vector<fs::path> first(files.begin(), files.begin() + 5);
  import_text(merged_stream(first));
  Model before =
      get_model(*st_, YAML::LoadFile(first[0].string())["metadata"]["name"].as<std::string>());
  auto results = import_text(merged_stream(files));
  ASSERT_EQ(results.size(), files.size());
  int created = 0, exists = 0;
  for (const auto& r : results) {
    bool was_there = false;
    for (const auto& f : first) {
      was_there |= YAML::LoadFile(f.string())["metadata"]["name"].as<std::string>() == r.id;
    }
    EXPECT_EQ(r.status, was_there ? "exists" : "created") << r.id;
    if (was_there) {
      EXPECT_NE(r.reason.find("already exists"), std::string::npos);
    }
    created += r.status == "created";
    exists += r.status == "exists";
  }
  EXPECT_EQ(exists, 5);
  EXPECT_EQ(created, static_cast<int>(files.size()) - 5);
  EXPECT_EQ(count("models"), static_cast<int64_t>(files.size()));
  // The refused model was left untouched.
  Model after = get_model(*st_, before.id);
  EXPECT_EQ(after.updated_at, before.updated_at);
}

TEST_F(ModelHubImportTest, DryRunWritesNothing) {
  auto files = metadata_files();
  import_text(read_text(files[0]));
  ImportOptions opts;
  opts.dry_run = true;
  int64_t audits = count("audit_events");
  auto results = import_text(merged_stream(files), opts);
  EXPECT_EQ(results[0].status, "exists");
  EXPECT_EQ(results[1].status, "created");
  EXPECT_EQ(count("models"), 1);
  EXPECT_EQ(count("audit_events"), audits);
  auto body = to_json(results, true);
  EXPECT_EQ(body.at("dry_run").as_bool(), true);
  EXPECT_EQ(body.at("exists").as_int64(), 1);
  EXPECT_EQ(body.at("created").as_int64(), static_cast<int64_t>(files.size()) - 1);
}

TEST_F(ModelHubImportTest, PublishOptionPublishes) {
  ImportOptions opts;
  opts.publish = true;
  import_text(read_text(metadata_files()[0]), opts);
  ModelFilter f;
  f.published = true;
  EXPECT_EQ(list_models(*st_, f).total, 1);
}

TEST_F(ModelHubImportTest, DuplicateInsideOneImportIsRefused) {
  std::string spec = "metadata: {name: twin}\nspec: {descriptor: {display: Twin}}\n";
  auto results = import_text("---\n" + spec + "---\n" + spec);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].status, "created");
  EXPECT_EQ(results[1].status, "exists");
  EXPECT_NE(results[1].reason.find("more than once"), std::string::npos);
}

}  // namespace
}  // namespace hydra::catalog
