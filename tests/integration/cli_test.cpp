// The `hydra` command-line client against a real server.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <regex>

#include "api_helpers.h"
#include "hydra_process.h"

namespace hydra::itest {
namespace {

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    hydra_.start();
    credentials_ = hydra_.dir() + "/cli/credentials.json";
  }

  // Runs `hydra args...` with the test's credentials file.
  RunResult hydra(std::vector<std::string> args) {
    args.insert(args.begin(), HYDRA_BINARY);
    return run_command(args, {{"HYDRA_CREDENTIALS", credentials_}});
  }

  // Runs and requires exit code 0; the output.
  std::string ok(const std::vector<std::string>& args) {
    RunResult r = hydra(args);
    std::string cmd;
    for (const auto& a : args) cmd += " " + a;
    EXPECT_EQ(r.exit_code, 0) << "hydra" << cmd << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err;
    return r.out;
  }

  HydraProcess hydra_;
  std::string credentials_;
};

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST_F(Cli, LoginModelsKeysAndAudit) {
  // Before logging in, commands fail with a hint instead of crashing.
  RunResult anonymous = hydra({"key", "list", "--server", hydra_.url()});
  EXPECT_EQ(anonymous.exit_code, 1);
  EXPECT_NE(anonymous.err.find("hydra login"), std::string::npos) << anonymous.err;
  RunResult wrong =
      hydra({"login", "--server", hydra_.url(), "-u", "admin", "-p", "wrong-password"});
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(credentials_));

  std::string out = ok({"login", "--server", hydra_.url(), "-u", "admin", "-p", kAdminPassword});
  EXPECT_NE(out.find("Logged in"), std::string::npos) << out;
  ASSERT_TRUE(std::filesystem::exists(credentials_));
  struct stat st {};
  ASSERT_EQ(stat(credentials_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 077, 0u) << "credentials readable by others";

  // Import, then list as a table and as JSON.
  std::string file =
      std::string(HYDRA_TESTDATA_DIR) + "/modelhub/alibaba/qwen2-0.5b-instruct/metadata.yaml";
  const std::string id = "qwen2-0.5b-instruct";
  out = ok({"model", "import", file});
  EXPECT_NE(out.find(id), std::string::npos) << out;
  EXPECT_NE(out.find("created"), std::string::npos) << out;
  out = ok({"model", "list"});
  EXPECT_NE(out.find("ID"), std::string::npos) << out;
  EXPECT_NE(out.find(id), std::string::npos) << out;
  bj::value listed = parse_json(ok({"model", "list", "-o", "json"}));
  ASSERT_EQ(listed.at("items").as_array().size(), 1u) << listed;
  EXPECT_EQ(str_of(listed.at("items").at(0), "id"), id);
  EXPECT_FALSE(listed.at("items").at(0).at("published").as_bool());

  // Publishing shows in what a normal user sees.
  Api api(hydra_.url());
  std::string admin = api.login("admin", kAdminPassword);
  api.expect(201, "POST", "/api/v1/users",
             bj::object{{"name", "carol"}, {"password", "Carol-Pw-1234"}}, admin);
  std::string carol = api.login("carol", "Carol-Pw-1234");
  ok({"model", "publish", id});
  EXPECT_EQ(api.expect(200, "GET", "/api/v1/models", nullptr, carol).at("total").as_int64(), 1);
  ok({"model", "unpublish", id});
  EXPECT_EQ(api.expect(200, "GET", "/api/v1/models", nullptr, carol).at("total").as_int64(), 0);
  RunResult missing = hydra({"model", "publish", "no-such-model"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("404"), std::string::npos) << missing.err;

  // A key is printed once at creation and masked ever after.
  out = ok({"key", "create", "--name", "cli-key"});
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out, m, std::regex("sk-[A-Za-z0-9_-]{40,}"))) << out;
  std::string key = m.str();
  EXPECT_EQ(count_of(out, key), 1u) << out;
  std::smatch idm;
  ASSERT_TRUE(std::regex_search(out, idm, std::regex("Created key (\\S+)"))) << out;
  std::string key_id = idm[1];
  out = ok({"key", "list"});
  EXPECT_NE(out.find("cli-key"), std::string::npos) << out;
  EXPECT_NE(out.find(key.substr(0, 7) + "..." + key.substr(key.size() - 4)), std::string::npos)
      << out;
  EXPECT_EQ(out.find(key.substr(3)), std::string::npos) << out;
  bj::value keys = parse_json(ok({"key", "list", "-o", "json"}));
  ASSERT_EQ(keys.at("items").as_array().size(), 1u);
  EXPECT_EQ(str_of(keys.at("items").at(0), "id"), key_id);
  EXPECT_EQ(bj::serialize(keys).find(key.substr(3)), std::string::npos);

  out = ok({"key", "delete", key_id});
  EXPECT_NE(out.find(key_id), std::string::npos) << out;
  EXPECT_TRUE(parse_json(ok({"key", "list", "-o", "json"})).at("items").as_array().empty());
  EXPECT_EQ(hydra({"key", "delete", key_id}).exit_code, 1);

  // The audit log shows the key's creation, as a table and as JSON.
  out = ok({"audit", "list", "--action", "CreateWSAPIKey"});
  EXPECT_NE(out.find("CreateWSAPIKey"), std::string::npos) << out;
  EXPECT_NE(out.find(key_id), std::string::npos) << out;
  EXPECT_EQ(out.find("DeleteWSAPIKey"), std::string::npos) << out;
  bj::value events = parse_json(ok({"audit", "list", "--action", "CreateWSAPIKey", "-o", "json"}));
  ASSERT_EQ(events.at("items").as_array().size(), 1u) << events;
  EXPECT_EQ(str_of(events.at("items").at(0), "resource_id"), key_id);
  EXPECT_EQ(str_of(events.at("items").at(0), "actor_name"), "admin");
  bj::value published = parse_json(ok({"audit", "list", "--action", "PublishModel", "-o", "json"}));
  ASSERT_EQ(published.at("items").as_array().size(), 1u) << published;
  EXPECT_EQ(str_of(published.at("items").at(0), "resource_id"), id);
}

}  // namespace
}  // namespace hydra::itest
