// metering_bench: what storing one UsageRecord costs the gateway's process.
// Two threads submit records as fast as the recorder takes them (as the
// gateway's network threads do), the recorder writes them in batches, and
// the process's CPU time per record is printed for the full recorder (all
// indexes and rollups) against a baseline measured in the same run: the
// same rows written by one prepared INSERT into an unindexed copy of the
// table, the floor any SQLite metering pays.
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "common/random.h"
#include "http/metrics.h"
#include "metering/usage_recorder.h"
#include "process.h"
#include "store/store.h"

namespace fs = std::filesystem;
using hydra::metering::UsageRecord;

namespace {

UsageRecord record(int64_t now, int i) {
  UsageRecord r;
  r.id = hydra::new_id();
  r.time = now + i / 20;
  r.request_id = hydra::new_id();
  r.workspace_id = "ws-" + std::to_string(i % 3);
  r.user_id = "user-1";
  r.key_id = "key-" + std::to_string(i % 5);
  r.model = "public/bench-" + std::to_string(i % 2);
  r.upstream = "http://127.0.0.1:18001/v1";
  r.prompt_tokens = 10;
  r.completion_tokens = 4;
  r.status = i % 50 == 0 ? 502 : 200;
  r.latency_ms = 1;
  r.ttft_ms = 1;
  return r;
}

struct Figure {
  double us_per_record = 0;
  double records_per_s = 0;
};

// The recorder as the gateway runs it, fed by two submitting threads.
Figure run_recorder(const std::string& dir, int n) {
  auto st = hydra::store::open_store("sqlite:" + dir + "/recorder.db");
  st->migrate();
  hydra::http::Metrics metrics;
  hydra::metering::UsageRecorderOptions opts;
  opts.capacity = static_cast<size_t>(n);  // submitters never wait: only the work is timed
  hydra::metering::UsageRecorder rec(*st, metrics, opts);
  int64_t now = 1700000000000;
  double cpu0 = bench::cpu_seconds(getpid());
  auto t0 = std::chrono::steady_clock::now();
  auto feed = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      if (!rec.submit(record(now, i))) std::fprintf(stderr, "record %d dropped\n", i);
    }
  };
  std::thread a(feed, 0, n / 2), b(feed, n / 2, n);
  a.join();
  b.join();
  rec.flush();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = bench::cpu_seconds(getpid()) - cpu0;
  auto rows = st->query("SELECT COUNT(*) AS n FROM usage_records");
  if (rows[0].i64("n") != n)
    std::fprintf(stderr, "recorder stored %lld of %d\n", static_cast<long long>(rows[0].i64("n")),
                 n);
  return {cpu / n * 1e6, n / wall};
}

// The floor: one prepared INSERT per row into the bare table, same batches.
Figure run_baseline(const std::string& dir, int n) {
  sqlite3* db = nullptr;
  sqlite3_open((dir + "/baseline.db").c_str(), &db);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", nullptr, nullptr, nullptr);
  sqlite3_exec(db,
               "CREATE TABLE r (id TEXT, time INTEGER, request_id TEXT, workspace_id TEXT, user_id "
               "TEXT, key_id TEXT, model TEXT, upstream TEXT, prompt_tokens INTEGER, "
               "completion_tokens INTEGER, cached_tokens INTEGER, cost REAL, status INTEGER, "
               "error_code INTEGER, latency_ms INTEGER, ttft_ms INTEGER, stream INTEGER)",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* ins = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO r VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &ins,
                     nullptr);
  int64_t now = 1700000000000;
  double cpu0 = bench::cpu_seconds(getpid());
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; i += 256) {
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    for (int j = i; j < std::min(n, i + 256); ++j) {
      UsageRecord r = record(now, j);
      auto text = [&](int col, const std::string& s) {
        sqlite3_bind_text(ins, col, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
      };
      text(1, r.id);
      sqlite3_bind_int64(ins, 2, r.time);
      text(3, r.request_id);
      text(4, r.workspace_id);
      text(5, r.user_id);
      text(6, r.key_id);
      text(7, r.model);
      text(8, r.upstream);
      sqlite3_bind_int64(ins, 9, r.prompt_tokens);
      sqlite3_bind_int64(ins, 10, r.completion_tokens);
      sqlite3_bind_int64(ins, 11, r.cached_tokens);
      sqlite3_bind_double(ins, 12, r.cost);
      sqlite3_bind_int64(ins, 13, r.status);
      sqlite3_bind_int64(ins, 14, r.error_code);
      sqlite3_bind_int64(ins, 15, r.latency_ms);
      sqlite3_bind_int64(ins, 16, r.ttft_ms);
      sqlite3_bind_int64(ins, 17, r.stream);
      sqlite3_step(ins);
      sqlite3_reset(ins);
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = bench::cpu_seconds(getpid()) - cpu0;
  sqlite3_finalize(ins);
  sqlite3_close(db);
  return {cpu / n * 1e6, n / wall};
}

}  // namespace

int main(int argc, char** argv) {
  int n = 200000;
  if (argc > 2 && std::string(argv[1]) == "--records") n = std::stoi(argv[2]);
  fs::path dir = fs::temp_directory_path() / ("hydra-metering-bench-" + hydra::random_hex(6));
  fs::create_directories(dir);
  std::printf("hydra metering_bench: %d usage records, SQLite, synchronous=FULL\n", n);
  Figure base = run_baseline(dir.string(), n);
  std::printf("bare INSERT, no index (baseline)   %6.2f us CPU/record  %8.0f records/s\n",
              base.us_per_record, base.records_per_s);
  Figure full = run_recorder(dir.string(), n);
  std::printf("UsageRecorder (indexes, rollups)   %6.2f us CPU/record  %8.0f records/s\n",
              full.us_per_record, full.records_per_s);
  std::printf("recorder / baseline CPU: %.2fx\n", full.us_per_record / base.us_per_record);
  fs::remove_all(dir);
  return 0;
}
