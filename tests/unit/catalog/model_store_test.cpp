#include "catalog/model_store.h"

#include "catalog/provider.h"
#include "catalog_test_support.h"
#include "common/error.h"
#include "common/json.h"

namespace hydra::catalog {
namespace {

class ModelStoreTest : public testing::CatalogTest {
 protected:
  void SetUp() override {
    CatalogTest::SetUp();
    for (const char* p : {"alibaba", "deepseek", "meta"}) {
      Provider prov;
      prov.id = p;
      prov.name.en_us = p;
      create_provider(*st_, prov, actor_);
    }
    add("qwen2.5-7b-instruct", "Qwen2.5-7B-Instruct", "alibaba", {"TEXT_GENERATION"},
        "多语言 Chat model");
    add("qwen-embed", "Qwen Embedding", "alibaba", {"EMBEDDING"}, "Vectors");
    add("deepseek-r1", "DeepSeek-R1", "deepseek", {"TEXT_GENERATION", "TOOLS"},
        "Reasoning 100%_done");
    add("llama-vision", "Llama Vision", "meta", {"IMAGE_TO_TEXT"}, "Sees IMAGES");
  }

  void add(const std::string& id, const std::string& display, const std::string& provider,
           std::vector<std::string> tags, const std::string& desc) {
    Model m;
    m.id = id;
    m.display_name = display;
    m.provider_id = provider;
    m.tags = std::move(tags);
    m.description.en_us = desc;
    create_model(*st_, m, actor_);
  }

  std::vector<std::string> ids(const ModelFilter& f) {
    std::vector<std::string> out;
    for (const auto& m : list_models(*st_, f).items) out.push_back(m.id);
    return out;
  }
};

TEST_F(ModelStoreTest, CreateGetAndAudit) {
  Model m = get_model(*st_, "deepseek-r1");
  EXPECT_EQ(m.display_name, "DeepSeek-R1");
  EXPECT_EQ(m.tags, (std::vector<std::string>{"TEXT_GENERATION", "TOOLS"}));
  EXPECT_GT(m.created_at, 0);
  EXPECT_EQ(audit_count("CreateModel"), 4);
  EXPECT_EQ(audit_count("CreateModel", "deepseek-r1"), 1);
}

TEST_F(ModelStoreTest, DuplicateAndMissingProviderAreRefused) {
  Model m;
  m.id = "deepseek-r1";
  try {
    create_model(*st_, m, actor_);
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConflict);
  }
  m.id = "orphan";
  m.provider_id = "nobody";
  EXPECT_THROW(create_model(*st_, m, actor_), ApiError);
  EXPECT_EQ(audit_count("CreateModel"), 4);  // failures leave no event
}

TEST_F(ModelStoreTest, FilterByProviderTagKeywordPublished) {
  ModelFilter f;
  f.providers = {"alibaba"};
  EXPECT_EQ(ids(f), (std::vector<std::string>{"qwen-embed", "qwen2.5-7b-instruct"}));
  f.providers = {"alibaba", "meta"};
  EXPECT_EQ(ids(f).size(), 3u);

  f = {};
  f.tags = {"TEXT_GENERATION"};
  EXPECT_EQ(ids(f), (std::vector<std::string>{"deepseek-r1", "qwen2.5-7b-instruct"}));
  f.tags = {"EMBEDDING", "IMAGE_TO_TEXT"};  // any of
  EXPECT_EQ(ids(f), (std::vector<std::string>{"llama-vision", "qwen-embed"}));

  f = {};
  f.keyword = "QWEN";  // case-insensitive on the id and display name
  EXPECT_EQ(ids(f).size(), 2u);
  f.keyword = "images";  // in the description
  EXPECT_EQ(ids(f), (std::vector<std::string>{"llama-vision"}));
  f.keyword = "多语言";
  EXPECT_EQ(ids(f), (std::vector<std::string>{"qwen2.5-7b-instruct"}));
  f.keyword = "0%_";  // LIKE wildcards are literal
  EXPECT_EQ(ids(f), (std::vector<std::string>{"deepseek-r1"}));
  f.keyword = "%";
  EXPECT_EQ(ids(f), (std::vector<std::string>{"deepseek-r1"}));

  f = {};
  f.published = true;
  EXPECT_TRUE(ids(f).empty());
  set_published(*st_, "qwen-embed", true, actor_);
  EXPECT_EQ(ids(f), (std::vector<std::string>{"qwen-embed"}));
  f.published = false;
  EXPECT_EQ(ids(f).size(), 3u);

  f = {};
  f.providers = {"alibaba"};
  f.tags = {"EMBEDDING"};
  f.published = true;
  EXPECT_EQ(ids(f), (std::vector<std::string>{"qwen-embed"}));
}

TEST_F(ModelStoreTest, PaginationIsStable) {
  ModelFilter f;
  f.limit = 3;
  auto page1 = list_models(*st_, f);
  EXPECT_EQ(page1.total, 4);
  ASSERT_EQ(page1.items.size(), 3u);
  f.offset = 3;
  auto page2 = list_models(*st_, f);
  ASSERT_EQ(page2.items.size(), 1u);
  EXPECT_EQ(page2.items[0].id, "qwen2.5-7b-instruct");
  EXPECT_EQ(page1.items[0].id, "deepseek-r1");
}

TEST_F(ModelStoreTest, PublishUnpublishAudited) {
  EXPECT_TRUE(set_published(*st_, "deepseek-r1", true, actor_).published);
  EXPECT_FALSE(set_published(*st_, "deepseek-r1", false, actor_).published);
  EXPECT_EQ(audit_count("PublishModel", "deepseek-r1"), 1);
  EXPECT_EQ(audit_count("UnPublishModel", "deepseek-r1"), 1);
  EXPECT_THROW(set_published(*st_, "nope", true, actor_), ApiError);
}

TEST_F(ModelStoreTest, PatchUpdatesFieldsAndTags) {
  auto patch = json::parse(
      R"({"display_name":"R1","tags":["embedding"],"config":{"maxTokens":65536},"price_input":0.5})");
  Model m = update_model(*st_, "deepseek-r1", patch, actor_);
  EXPECT_EQ(m.display_name, "R1");
  Model again = get_model(*st_, "deepseek-r1");
  EXPECT_EQ(again.tags, (std::vector<std::string>{"EMBEDDING"}));
  EXPECT_EQ(again.max_tokens, 65536);
  EXPECT_DOUBLE_EQ(again.price_input, 0.5);
  EXPECT_EQ(again.description.en_us, "Reasoning 100%_done");  // untouched
  EXPECT_EQ(audit_count("UpdateModel", "deepseek-r1"), 1);
  EXPECT_THROW(update_model(*st_, "deepseek-r1", json::parse(R"({"colour":"red"})"), actor_),
               ApiError);
  EXPECT_THROW(update_model(*st_, "deepseek-r1", json::parse(R"({"published":true})"), actor_),
               ApiError);
  EXPECT_THROW(update_model(*st_, "deepseek-r1", json::parse(R"({"price_output":-1})"), actor_),
               ApiError);
}

TEST_F(ModelStoreTest, DeleteRemovesTagsAndAudits) {
  delete_model(*st_, "deepseek-r1", actor_);
  EXPECT_THROW(get_model(*st_, "deepseek-r1"), ApiError);
  EXPECT_EQ(
      st_->query("SELECT COUNT(*) AS n FROM model_tags WHERE model_id = 'deepseek-r1'")[0].i64("n"),
      0);
  EXPECT_EQ(audit_count("DeleteModel", "deepseek-r1"), 1);
  EXPECT_THROW(delete_model(*st_, "deepseek-r1", actor_), ApiError);
}

TEST_F(ModelStoreTest, ModelFromJsonIsStrict) {
  Model m = model_from_json(json::parse(
      R"({"id":"x-1","display_name":"X","tags":["text-generation"],"sources":{"huggingface":"a/b"},
          "description":{"enUS":"e","zhCN":"z"},"links":[{"description":"d","url":"https://x"}]})"));
  EXPECT_EQ(m.tags, (std::vector<std::string>{"TEXT_GENERATION"}));
  EXPECT_EQ(m.sources.huggingface, "a/b");
  EXPECT_THROW(model_from_json(json::parse(R"({"id":"X Y"})")), ApiError);
  EXPECT_THROW(model_from_json(json::parse(R"({"id":"ok","tags":"TOOLS"})")), ApiError);
  EXPECT_THROW(model_from_json(json::parse(R"({"id":"ok","description":{"fr":"x"}})")), ApiError);
}

TEST_F(ModelStoreTest, ProviderCrudAndDeleteGuard) {
  EXPECT_EQ(list_providers(*st_).size(), 3u);
  EXPECT_THROW(provider_from_json(json::parse(R"({"id":"Bad_Id"})")), ApiError);
  Provider p =
      provider_from_json(json::parse(R"({"id":"zhipu","name":{"enUS":"Zhipu","zhCN":"智谱"}})"));
  create_provider(*st_, p, actor_);
  EXPECT_THROW(create_provider(*st_, p, actor_), ApiError);
  Provider u = update_provider(*st_, "zhipu", json::parse(R"({"icon":"https://i"})"), actor_);
  EXPECT_EQ(u.icon, "https://i");
  EXPECT_EQ(get_provider(*st_, "zhipu").name.zh_cn, "智谱");
  try {
    delete_provider(*st_, "alibaba", actor_);  // still has models
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConflict);
  }
  delete_provider(*st_, "zhipu", actor_);
  EXPECT_EQ(audit_count("CreateModelProvider", "zhipu"), 1);
  EXPECT_EQ(audit_count("UpdateModelProvider", "zhipu"), 1);
  EXPECT_EQ(audit_count("DeleteModelProvider", "zhipu"), 1);
}

}  // namespace
}  // namespace hydra::catalog
