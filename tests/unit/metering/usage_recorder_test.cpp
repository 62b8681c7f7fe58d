#include "metering/usage_recorder.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/random.h"

namespace hydra::metering {
namespace {

class UsageRecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("hydra-usage-" + random_hex(8));
    std::filesystem::create_directories(dir_);
    st_ = store::open_store("sqlite:" + (dir_ / "hydra.db").string());
    st_->migrate();
  }
  void TearDown() override {
    st_.reset();
    std::filesystem::remove_all(dir_);
  }
  int64_t stored() { return st_->query("SELECT COUNT(*) AS n FROM usage_records")[0].i64("n"); }
  static UsageRecord record(int64_t prompt) {
    UsageRecord r;
    r.id = new_id();
    r.time = 1000 + prompt;
    r.model = "public/m";
    r.prompt_tokens = prompt;
    return r;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> st_;
  http::Metrics metrics_;
};

TEST_F(UsageRecorderTest, FullQueueDropsAndCountsInsteadOfBlocking) {
  UsageRecorderOptions o;
  o.capacity = 3;
  o.batch = 100;
  o.interval_ms = 60000;  // nothing is written until flush()
  UsageRecorder rec(*st_, metrics_, o);
  int accepted = 0;
  for (int i = 1; i <= 5; ++i) accepted += rec.submit(record(i)) ? 1 : 0;
  EXPECT_EQ(accepted, 3);
  EXPECT_EQ(stored(), 0);
  rec.flush();
  EXPECT_EQ(stored(), 3);
  EXPECT_EQ(st_->query("SELECT SUM(prompt_tokens) AS n FROM usage_records")[0].i64("n"), 1 + 2 + 3);
  EXPECT_NE(metrics_.render().find("hydra_gateway_usage_dropped_total 2"), std::string::npos)
      << metrics_.render();
}

TEST_F(UsageRecorderTest, BackgroundWriterAndStopFlush) {
  UsageRecorderOptions o;
  o.batch = 4;
  o.interval_ms = 20;
  {
    UsageRecorder rec(*st_, metrics_, o);
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(rec.submit(record(i)));
    for (int i = 0; i < 100 && stored() < 10; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_EQ(stored(), 10);  // written without a flush
    o.interval_ms = 60000;
  }
  UsageRecorder slow(*st_, metrics_, o);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(slow.submit(record(100 + i)));
  slow.stop();  // what the server does on shutdown
  EXPECT_EQ(stored(), 13);
  EXPECT_FALSE(slow.submit(record(200)));  // stopped: refused, not lost silently
}

}  // namespace
}  // namespace hydra::metering
