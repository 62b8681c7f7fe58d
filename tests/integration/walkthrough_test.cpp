// The management side end to end, as an operator and two users would use
// it: accounts, workspaces, API keys, the model catalog and the audit trail.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "api_helpers.h"
#include "hydra_process.h"

namespace hydra::itest {
namespace {

namespace fs = std::filesystem;

// Every ModelHub metadata.yaml of the shared test data (<provider>/<model>/).
std::vector<fs::path> modelhub_files() {
  std::vector<fs::path> out;
  for (const auto& e :
       fs::recursive_directory_iterator(fs::path(HYDRA_TESTDATA_DIR) / "modelhub")) {
    if (e.is_regular_file() && e.path().filename() == "metadata.yaml") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::set<std::string> ids_of(const std::vector<bj::value>& items) {
  std::set<std::string> ids;
  for (const auto& item : items) ids.insert(str_of(item, "id"));
  return ids;
}

// The audit events with this action (and resource id, when given), as admin.
std::vector<bj::value> events(Api& api, const std::string& admin, const std::string& action,
                              const std::string& resource_id = "") {
  std::string path = "/api/v1/audit-events?action=" + action;
  if (!resource_id.empty()) path += "&resource_id=" + resource_id;
  return api.all_items(path, admin);
}

class Walkthrough : public ::testing::Test {
 protected:
  void SetUp() override {
    hydra_.start();
    api_ = std::make_unique<Api>(hydra_.url());
    admin_ = api_->login("admin", kAdminPassword);
  }

  // Creates a user as admin and logs them in; their id and token.
  std::pair<std::string, std::string> new_user(const std::string& name) {
    bj::value u =
        api_->expect(201, "POST", "/api/v1/users",
                     bj::object{{"name", name}, {"password", name + "-Secret-Pw-42"}}, admin_);
    return {str_of(u, "id"), api_->login(name, name + "-Secret-Pw-42")};
  }

  HydraProcess hydra_;
  std::unique_ptr<Api> api_;
  std::string admin_;
};

TEST_F(Walkthrough, AdminCreatesWorkspaceAndUsers) {
  bj::value ws = api_->expect(201, "POST", "/api/v1/workspaces",
                              bj::object{{"slug", "team-alpha"}, {"name", "Team Alpha"}}, admin_);
  std::string ws_id = str_of(ws, "id");
  ASSERT_FALSE(ws_id.empty());
  EXPECT_EQ(str_of(ws, "slug"), "team-alpha");
  auto [alice_id, alice] = new_user("alice");
  ASSERT_FALSE(alice_id.empty());

  // Both are visible to the admin, and a normal user may not create either.
  EXPECT_EQ(
      str_of(api_->expect(200, "GET", "/api/v1/workspaces/team-alpha", nullptr, admin_), "id"),
      ws_id);
  EXPECT_EQ(str_of(api_->expect(200, "GET", "/api/v1/users/" + alice_id, nullptr, admin_), "name"),
            "alice");
  EXPECT_TRUE(is_error(api_->call("POST", "/api/v1/workspaces", R"({"slug":"mine"})", alice), 403));
  EXPECT_TRUE(is_error(
      api_->call("POST", "/api/v1/users", R"({"name":"eve","password":"Eve-Secret-42"})", alice),
      403));

  auto ws_events = events(*api_, admin_, "CreateWorkspace", ws_id);
  ASSERT_EQ(ws_events.size(), 1u);
  EXPECT_EQ(str_of(ws_events[0], "actor_name"), "admin");
  auto user_events = events(*api_, admin_, "CreateUser", alice_id);
  ASSERT_EQ(user_events.size(), 1u);
  EXPECT_EQ(str_of(user_events[0], "actor_name"), "admin");
  bool alice_logged_in = false;
  for (const auto& e : events(*api_, admin_, "Login", alice_id)) {
    alice_logged_in |= str_of(e, "result") == "success" && str_of(e, "actor_name") == "alice";
  }
  EXPECT_TRUE(alice_logged_in);
}

TEST_F(Walkthrough, ApiKeyPlaintextIsShownOnceAndNeverStored) {
  auto [alice_id, alice] = new_user("alice");
  auto [bob_id, bob] = new_user("bob");

  bj::value created = api_->expect(201, "POST", "/api/v1/api-keys",
                                   bj::object{{"name", "alice-laptop-key"}}, alice);
  std::string key = str_of(created, "key");
  std::string key_id = str_of(created, "id");
  std::string masked = str_of(created, "masked");
  ASSERT_EQ(key.rfind("sk-", 0), 0u) << key;
  ASSERT_GE(key.size(), 3u + 43u);  // 32 random bytes, base64url
  // The masked form is the key's own start and end.
  size_t dots = masked.find("...");
  ASSERT_NE(dots, std::string::npos) << masked;
  EXPECT_EQ(key.substr(0, dots), masked.substr(0, dots));
  EXPECT_EQ(key.substr(key.size() - (masked.size() - dots - 3)), masked.substr(dots + 3));
  EXPECT_LT(masked.size(), 16u);

  // Neither the list nor the single view ever repeats the plaintext.
  auto list = api_->call("GET", "/api/v1/api-keys", "", alice);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body.find(key.substr(3)), std::string::npos);
  auto listed = parse_json(list.body).at("items").as_array();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(str_of(listed[0], "id"), key_id);
  EXPECT_EQ(str_of(listed[0], "masked"), masked);
  EXPECT_FALSE(listed[0].as_object().contains("key"));
  auto one = api_->call("GET", "/api/v1/api-keys/" + key_id, "", alice);
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.body.find(key.substr(3)), std::string::npos);
  EXPECT_EQ(str_of(parse_json(one.body), "masked"), masked);

  // The database files hold the key's name and masked form but not the key.
  std::string raw;
  for (const char* suffix : {"", "-wal", "-shm"}) raw += read_file(hydra_.db_path() + suffix);
  ASSERT_NE(raw.find("alice-laptop-key"), std::string::npos)
      << "the search looks in the wrong place";
  ASSERT_NE(raw.find(masked), std::string::npos);
  EXPECT_EQ(raw.find(key), std::string::npos) << "plaintext API key found in the database";
  EXPECT_EQ(raw.find(key.substr(3, 20)), std::string::npos)
      << "part of the key found in the database";
  // Nor does the audit trail (the CSV export has every field of every event).
  auto csv = api_->call("GET", "/api/v1/audit-events/export", "", admin_);
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.body.find(key.substr(3)), std::string::npos);

  // Bob can neither read, list nor delete Alice's key.
  EXPECT_TRUE(is_error(api_->call("GET", "/api/v1/api-keys/" + key_id, "", bob), 404));
  EXPECT_TRUE(ids_of(api_->all_items("/api/v1/api-keys", bob)).empty());
  EXPECT_TRUE(
      ids_of(api_->all_items("/api/v1/api-keys?all=true&user_id=" + alice_id, bob)).empty());
  auto del = api_->call("DELETE", "/api/v1/api-keys/" + key_id, "", bob);
  EXPECT_TRUE(del.status == 404 || del.status == 403) << del.status;
  EXPECT_TRUE(is_client_error(del));
  EXPECT_EQ(api_->call("GET", "/api/v1/api-keys/" + key_id, "", alice).status, 200);
  EXPECT_TRUE(events(*api_, admin_, "DeleteWSAPIKey", key_id).empty());

  // Alice's own deletion works, is final, and both steps were audited.
  api_->expect(204, "DELETE", "/api/v1/api-keys/" + key_id, nullptr, alice);
  EXPECT_TRUE(is_error(api_->call("GET", "/api/v1/api-keys/" + key_id, "", alice), 404));
  auto create_events = events(*api_, admin_, "CreateWSAPIKey", key_id);
  ASSERT_EQ(create_events.size(), 1u);
  EXPECT_EQ(str_of(create_events[0], "actor_id"), alice_id);
  auto delete_events = events(*api_, admin_, "DeleteWSAPIKey", key_id);
  ASSERT_EQ(delete_events.size(), 1u);
  EXPECT_EQ(str_of(delete_events[0], "actor_id"), alice_id);
  // A user sees their own events and nobody else's.
  for (const auto& e : api_->all_items("/api/v1/audit-events", bob)) {
    EXPECT_EQ(str_of(e, "actor_id"), bob_id);
  }
}

TEST_F(Walkthrough, ModelHubImportAndPublishing) {
  auto [bob_id, bob] = new_user("bob");
  auto files = modelhub_files();
  ASSERT_GE(files.size(), 20u);
  std::vector<std::string> imported;
  for (const auto& file : files) {
    auto r = api_->call("POST", "/api/v1/models/import", read_file(file.string()), admin_,
                        {{"content-type", "application/yaml"}});
    ASSERT_EQ(r.status, 200) << file << ": " << r.body;
    bj::value v = parse_json(r.body);
    EXPECT_GE(v.at("created").to_number<int64_t>(), 1) << file << ": " << r.body;
    EXPECT_EQ(v.at("invalid").to_number<int64_t>(), 0) << file << ": " << r.body;
    for (const auto& item : v.at("items").as_array()) {
      EXPECT_EQ(str_of(item, "status"), "created") << file << ": " << r.body;
      imported.push_back(str_of(item, "id"));
    }
  }
  ASSERT_GE(imported.size(), files.size());

  // The admin sees them all; a re-import is refused per item, not as a whole.
  auto admin_ids = ids_of(api_->all_items("/api/v1/models", admin_));
  for (const auto& id : imported) EXPECT_TRUE(admin_ids.count(id)) << id;
  auto again = api_->call("POST", "/api/v1/models/import", read_file(files[0].string()), admin_,
                          {{"content-type", "application/yaml"}});
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(parse_json(again.body).at("exists").to_number<int64_t>(), 1) << again.body;

  // Imported models start unpublished: the user view is empty until one is published.
  for (const auto& id : imported)
    EXPECT_EQ(ids_of(api_->all_items("/api/v1/models", bob)).count(id), 0u);
  const std::string& model = imported[imported.size() / 2];
  api_->expect(200, "POST", "/api/v1/models/" + model + "/publish", nullptr, admin_);
  EXPECT_EQ(ids_of(api_->all_items("/api/v1/models", bob)), std::set<std::string>{model});
  EXPECT_EQ(str_of(api_->expect(200, "GET", "/api/v1/models/" + model, nullptr, bob), "id"), model);
  EXPECT_TRUE(is_error(api_->call("POST", "/api/v1/models/" + model + "/unpublish", "", bob), 403));
  api_->expect(200, "POST", "/api/v1/models/" + model + "/unpublish", nullptr, admin_);
  EXPECT_TRUE(ids_of(api_->all_items("/api/v1/models", bob)).empty());
  EXPECT_TRUE(is_error(api_->call("GET", "/api/v1/models/" + model, "", bob), 404));

  // Audit: one import event per model, and the publish/unpublish pair.
  std::set<std::string> import_ids;
  for (const auto& e : events(*api_, admin_, "ImportModel")) {
    import_ids.insert(str_of(e, "resource_id"));
    EXPECT_EQ(str_of(e, "actor_name"), "admin");
  }
  for (const auto& id : imported) EXPECT_TRUE(import_ids.count(id)) << id;
  EXPECT_EQ(events(*api_, admin_, "PublishModel", model).size(), 1u);
  EXPECT_EQ(events(*api_, admin_, "UnPublishModel", model).size(), 1u);
  // Providers the files named were created on the way, each with its event.
  std::set<std::string> provider_events;
  for (const auto& e : events(*api_, admin_, "CreateModelProvider")) {
    provider_events.insert(str_of(e, "resource_id"));
  }
  auto providers = ids_of(api_->all_items("/api/v1/providers", admin_));
  EXPECT_FALSE(providers.empty());
  EXPECT_EQ(providers, provider_events);
}

}  // namespace
}  // namespace hydra::itest
