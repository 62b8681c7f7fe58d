#include "metering/usage_recorder.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "common/random.h"
#include "common/thread_priority.h"
#include "metering/record_inserts.h"

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

// Ids are unique by construction, not by an index: should two ever meet,
// both records are kept, and so is the rest of their batch.
TEST_F(UsageRecorderTest, TwoRecordsWithOneIdAreBothKept) {
  UsageRecorderOptions o;
  o.interval_ms = 60000;
  UsageRecorder rec(*st_, metrics_, o);
  UsageRecord a = record(1), b = record(2);
  b.id = a.id;
  ASSERT_TRUE(rec.submit(a));
  ASSERT_TRUE(rec.submit(b));
  ASSERT_TRUE(rec.submit(record(3)));
  rec.flush();
  EXPECT_EQ(stored(), 3);
  EXPECT_EQ(metrics_.render().find("hydra_gateway_usage_write_failures_total 3"),
            std::string::npos);
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

// Records go in several to a statement (record_inserts.h): a batch that
// ends mid-statement, and every column of every row, must come back as
// submitted.
TEST_F(UsageRecorderTest, EveryColumnOfEveryRowIsStored) {
  UsageRecorderOptions o;
  o.interval_ms = 60000;  // nothing is written until flush()
  UsageRecorder rec(*st_, metrics_, o);
  const int n = 2 * static_cast<int>(kRowsPerInsert) + 5;
  for (int i = 0; i < n; ++i) {
    UsageRecord r;
    r.id = "id-" + std::to_string(i);
    r.time = 1000 + i;
    r.request_id = "req-" + std::to_string(i);
    r.workspace_id = "ws-" + std::to_string(i % 3);
    r.user_id = "user-" + std::to_string(i % 2);
    r.key_id = "key-" + std::to_string(i % 4);
    r.model = "public/m" + std::to_string(i % 5);
    r.upstream = "http://up-" + std::to_string(i) + "/v1";
    r.prompt_tokens = i;
    r.completion_tokens = 2 * i;
    r.cached_tokens = i / 2;
    r.cost = 0.5 + i;
    r.status = i % 7 == 0 ? 499 : 200;
    r.error_code = i % 7 == 0 ? 500001 : 0;
    r.latency_ms = 10 + i;
    r.ttft_ms = 5 + i;
    r.stream = i % 2 == 1;
    ASSERT_TRUE(rec.submit(std::move(r)));
  }
  rec.flush();
  auto rows = st_->query("SELECT * FROM usage_records ORDER BY time");
  ASSERT_EQ(rows.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    auto row = rows[static_cast<size_t>(i)];
    SCOPED_TRACE("row " + std::to_string(i));
    EXPECT_EQ(row.str("id"), "id-" + std::to_string(i));
    EXPECT_EQ(row.i64("time"), 1000 + i);
    EXPECT_EQ(row.str("request_id"), "req-" + std::to_string(i));
    EXPECT_EQ(row.str("workspace_id"), "ws-" + std::to_string(i % 3));
    EXPECT_EQ(row.str("user_id"), "user-" + std::to_string(i % 2));
    EXPECT_EQ(row.str("key_id"), "key-" + std::to_string(i % 4));
    EXPECT_EQ(row.str("model"), "public/m" + std::to_string(i % 5));
    EXPECT_EQ(row.str("upstream"), "http://up-" + std::to_string(i) + "/v1");
    EXPECT_EQ(row.i64("prompt_tokens"), i);
    EXPECT_EQ(row.i64("completion_tokens"), 2 * i);
    EXPECT_EQ(row.i64("cached_tokens"), i / 2);
    EXPECT_DOUBLE_EQ(row.f64("cost"), 0.5 + i);
    EXPECT_EQ(row.i64("status"), i % 7 == 0 ? 499 : 200);
    EXPECT_EQ(row.i64("error_code"), i % 7 == 0 ? 500001 : 0);
    EXPECT_EQ(row.i64("latency_ms"), 10 + i);
    EXPECT_EQ(row.i64("ttft_ms"), 5 + i);
    EXPECT_EQ(row.i64("stream"), i % 2);
  }
}

// One spinning thread more than there are cores, at normal priority: a
// thread at idle priority gets almost no core while they run.
class CpuHogs {
 public:
  // Returns once every hog spins: a writer woken before they all ran could
  // finish a batch on a free core, and then nothing is being tested.
  CpuHogs() {
    const unsigned n = std::thread::hardware_concurrency() + 1;
    for (unsigned i = 0; i < n; ++i)
      threads_.emplace_back([this] {
        running_.fetch_add(1);
        while (spin_.load(std::memory_order_relaxed)) {
        }
      });
    while (running_.load() < n) std::this_thread::yield();
  }
  ~CpuHogs() { stop(); }
  CpuHogs(const CpuHogs&) = delete;
  CpuHogs& operator=(const CpuHogs&) = delete;
  void stop() {
    spin_ = false;
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }

 private:
  std::atomic<bool> spin_{true};
  std::atomic<unsigned> running_{0};
  std::vector<std::thread> threads_;
};

// The writer runs at idle priority, where it gets no core while normal
// threads keep every core busy. It must notice its backlog and go back to
// normal priority: stuck at idle it would drain about a hundred records a
// second here, the queue would fill and records would be dropped.
TEST_F(UsageRecorderTest, SaturatedMachineStillStoresEveryRecord) {
  if (!idle_priority_reversible())
    GTEST_SKIP() << "this process may not raise a thread back from idle priority";
  UsageRecorderOptions o;
  o.capacity = 2000;
  o.batch = 100;
  o.backlog = 300;
  o.interval_ms = 10;
  UsageRecorder rec(*st_, metrics_, o);
  CpuHogs hogs;
  constexpr int kRecords = 3000;
  int accepted = 0;
  for (int i = 0; i < kRecords; ++i) {
    accepted += rec.submit(record(i)) ? 1 : 0;
    if (i % 100 == 99) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (int i = 0; i < 1000 && stored() < accepted; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  int64_t stored_while_busy = stored();
  hogs.stop();
  EXPECT_EQ(accepted, kRecords);
  EXPECT_EQ(stored_while_busy, kRecords);
  EXPECT_EQ(metrics_.render().find("hydra_gateway_usage_dropped_total"), std::string::npos);
  EXPECT_NE(metrics_.render().find("hydra_gateway_usage_writer_raised_total"), std::string::npos)
      << metrics_.render();
}

// A writer starved in the middle of a batch holds the store's write lock
// and leaves records unwritten however short its queue: the watchdog raises
// it once a batch takes longer than `stall_ms`. The batch is taken whole
// (no interval wakes the writer first). How much CPU an idle thread still
// gets beside busy ones depends on the kernel's scheduler (some starve it,
// some let it write this batch at nearly full speed), so the batch is large
// enough to outlast the stall time many times over either way, and the
// watchdog's raise is certain.
TEST_F(UsageRecorderTest, StarvedBatchIsRaisedAfterTheStallTime) {
  if (!idle_priority_reversible())
    GTEST_SKIP() << "this process may not raise a thread back from idle priority";
  constexpr int kRecords = 10000;
  UsageRecorderOptions o;
  o.batch = kRecords;
  o.backlog = 1000000;  // never the reason here
  o.stall_ms = 5;
  o.watch_ms = 1;
  o.interval_ms = 60000;
  UsageRecorder rec(*st_, metrics_, o);
  CpuHogs hogs;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRecords; ++i) ASSERT_TRUE(rec.submit(record(i)));
  while (stored() < kRecords && std::chrono::steady_clock::now() - start < std::chrono::seconds(20))
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto took = std::chrono::steady_clock::now() - start;
  hogs.stop();
  EXPECT_EQ(stored(), kRecords);
  EXPECT_LT(took, std::chrono::seconds(15));
  EXPECT_NE(metrics_.render().find("hydra_gateway_usage_writer_raised_total"), std::string::npos)
      << metrics_.render();
}

}  // namespace
}  // namespace hydra::metering
