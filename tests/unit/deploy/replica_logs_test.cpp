// Replica logs of remote agents: what the agent ships per round (only what
// a file gained, within its budgets, again when a report was not taken),
// the server's copy (appended while chunks continue it, started over when
// they do not, trimmed), and the wire form (bytes that are not UTF-8).
#include "deploy/replica_logs.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/random.h"
#include "deploy/agent_protocol.h"

namespace hydra::deploy {
namespace {

namespace bj = boost::json;
namespace fs = std::filesystem;

class ReplicaLogs : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("hydra-logs-" + random_hex(8));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void append(const std::string& file, const std::string& text) {
    std::ofstream(path(file), std::ios::binary | std::ios::app) << text;
  }
  static std::string slurp(const std::string& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }
  Replica replica(int64_t index, const std::string& file) {
    Replica r;
    r.index = index;
    r.log_path = file.empty() ? "" : path(file);
    return r;
  }

  fs::path dir_;
};

TEST_F(ReplicaLogs, TheAgentShipsWhatEachLogGainedOnceTheServerTookIt) {
  LogShipper ship(LogShipLimits{8, 100, 1000});
  append("r0.log", "0123456789abc");  // 13 bytes: a first round starts 8 from the end
  std::vector<Replica> reps{replica(0, "r0.log"), replica(1, ""), replica(2, "missing.log")};
  ship.begin_round();
  auto first = ship.collect("d1", reps);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].replica, 0);
  EXPECT_EQ(first[0].offset, 5);
  EXPECT_EQ(first[0].data, "56789abc");
  // Not acknowledged (the report was lost): the same bytes again, plus what came since.
  append("r0.log", "de");
  ship.begin_round();
  auto again = ship.collect("d1", reps);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].offset, 5);
  EXPECT_EQ(again[0].data, "56789abcde");
  ship.acknowledge("d1", again);
  ship.begin_round();
  EXPECT_TRUE(ship.collect("d1", reps).empty());  // nothing new
  append("r0.log", "f");
  ship.begin_round();
  auto next = ship.collect("d1", reps);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].offset, 15);
  EXPECT_EQ(next[0].data, "f");
  ship.acknowledge("d1", next);
  // A replaced (shorter) file starts over from its own tail.
  std::ofstream(path("r0.log"), std::ios::trunc) << "new";
  ship.begin_round();
  auto over = ship.collect("d1", reps);
  ASSERT_EQ(over.size(), 1u);
  EXPECT_EQ(over[0].offset, 0);
  EXPECT_EQ(over[0].data, "new");
}

TEST_F(ReplicaLogs, RoundsStayWithinTheirBudgets) {
  LogShipper ship(LogShipLimits{1000, 4, 6});
  append("a.log", "aaaaaaaaaa");
  append("b.log", "bbbbbbbbbb");
  std::vector<Replica> reps{replica(0, "a.log"), replica(1, "b.log")};
  ship.begin_round();
  auto c = ship.collect("d", reps);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].data, "aaaa");  // per replica
  EXPECT_EQ(c[1].data, "bb");    // what the round has left
  ship.acknowledge("d", c);
  ship.begin_round();
  c = ship.collect("d", reps);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].offset, 4);
  EXPECT_EQ(c[1].offset, 2);
}

TEST_F(ReplicaLogs, TheServerCopyContinuesStartsOverAndIsTrimmed) {
  std::string data = path("server");
  std::string copy = replica_log_path(data, "dep1", 3);
  EXPECT_EQ(copy, data + "/deployments/dep1/replica-3.log");
  mirror_log_chunk(data, "dep1", {3, 100, "hello "}, 16);
  mirror_log_chunk(data, "dep1", {3, 106, "world\n"}, 16);
  EXPECT_EQ(slurp(copy), "hello world\n");
  // A gap (a report the server never saw) or an agent that started over: a new copy.
  mirror_log_chunk(data, "dep1", {3, 0, "restarted\n"}, 16);
  EXPECT_EQ(slurp(copy), "restarted\n");
  // Past twice `keep`, only the last `keep` bytes stay; later chunks still continue it.
  mirror_log_chunk(data, "dep1", {3, 10, std::string(30, 'x') + "0123456789ABCDEF"}, 16);
  EXPECT_EQ(slurp(copy), "0123456789ABCDEF");
  mirror_log_chunk(data, "dep1", {3, 56, "!"}, 16);
  EXPECT_EQ(slurp(copy), "0123456789ABCDEF!");
}

TEST_F(ReplicaLogs, ChunksTravelAsBase64AndBadOnesAreRefused) {
  std::string bytes = std::string("caf\xc3\xa9 \xff\xfe\0end", 12);
  LogChunk back = log_chunk_from_json(bj::value(to_json(LogChunk{2, 42, bytes})));
  EXPECT_EQ(back.replica, 2);
  EXPECT_EQ(back.offset, 42);
  EXPECT_EQ(back.data, bytes);
  auto bad = [](const char* text) {
    try {
      log_chunk_from_json(bj::parse(text));
    } catch (const ApiError& e) {
      return e.code() == ErrorCode::kParamError;
    }
    return false;
  };
  EXPECT_TRUE(bad(R"({"replica":0,"offset":0,"data":"***"})"));
  EXPECT_TRUE(bad(R"({"replica":-1,"offset":0,"data":""})"));
  EXPECT_TRUE(bad(R"({"replica":0,"offset":-5,"data":""})"));
  EXPECT_TRUE(bad(R"({"replica":0,"offset":0,"data":"","path":"/etc/passwd"})"));
  EXPECT_TRUE(bad(R"({"replica":0,"offset":0})"));

  // In a report: present only when there is something, and read back whole.
  AgentReport r;
  r.agent.backend = "local";
  DeploymentReport d;
  d.id = "dep";
  d.state = "Running";
  r.deployments.push_back(d);
  EXPECT_FALSE(to_json(r).at("deployments").at(0).as_object().contains("logs"));
  r.deployments[0].logs.push_back({0, 7, "line\n"});
  AgentReport wire = agent_report_from_json(bj::value(to_json(r)));
  ASSERT_EQ(wire.deployments.at(0).logs.size(), 1u);
  EXPECT_EQ(wire.deployments[0].logs[0].data, "line\n");
}

}  // namespace
}  // namespace hydra::deploy
