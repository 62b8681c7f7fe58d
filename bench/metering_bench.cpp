// metering_bench: what storing one UsageRecord costs the gateway's process.
// Two threads submit records as fast as the recorder takes them (as the
// gateway's network threads do), the recorder writes them in batches, and
// the process's CPU time per record is printed for the full recorder (all
// indexes and rollups) against a baseline measured in the same run: the
// same rows written by one prepared INSERT into an unindexed copy of the
// table, the floor any SQLite metering pays.
//
// Then what the time-only index costs readers: a week of records (a rare
// key and a small workspace among busy ones) is written by the recorder,
// and record pages and failures for one key or workspace are timed through
// metering/usage_query (minutes found in the rollups) against, in the same
// run, the plain query on a copy of the table that also has the per-key and
// per-workspace indexes the writer no longer keeps.
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "common/random.h"
#include "http/metrics.h"
#include "metering/usage_query.h"
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

// A week of records, one every `step` ms: 50 busy keys in three
// workspaces, and every 5,000th record from a rare key in a workspace of
// its own, one in ten of those failed.
void write_week(hydra::store::Store& st, int n) {
  hydra::http::Metrics metrics;
  hydra::metering::UsageRecorderOptions opts;
  opts.capacity = static_cast<size_t>(n);
  hydra::metering::UsageRecorder rec(st, metrics, opts);
  const int64_t t0 = 1700006400000;  // a minute boundary
  const int64_t step = 7 * 86400000LL / n;
  for (int i = 0; i < n; ++i) {
    UsageRecord r = record(t0, i);
    r.time = t0 + i * step;
    bool rare = i % 5000 == 0;
    r.key_id = rare ? "key-rare" : "key-" + std::to_string(i % 50);
    r.workspace_id = rare ? "ws-small" : "ws-" + std::to_string(i % 3);
    if (rare) r.status = i % 50000 == 0 ? 502 : 200;
    rec.submit(std::move(r));
  }
  rec.flush();
}

// Milliseconds for the best of five runs of `run`.
template <typename F>
double best_ms(F run) {
  double best = 1e9;
  for (int i = 0; i < 5; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    run();
    best = std::min(
        best,
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

// The plain query with an index on its column, on the copy.
double indexed_ms(sqlite3* db, const std::string& sql, const std::string& value) {
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  double ms = best_ms([&] {
    sqlite3_bind_text(stmt, 1, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
    }
    sqlite3_reset(stmt);
  });
  sqlite3_finalize(stmt);
  return ms;
}

void run_queries(const std::string& dir, int n) {
  namespace m = hydra::metering;
  {
    auto writing = hydra::store::open_store("sqlite:" + dir + "/week.db");
    writing->migrate();
    write_week(*writing, n);
  }  // closed: the last connection folds the log into the file
  fs::copy_file(dir + "/week.db", dir + "/indexed.db");
  auto st = hydra::store::open_store("sqlite:" + dir + "/week.db");
  sqlite3* db = nullptr;
  sqlite3_open((dir + "/indexed.db").c_str(), &db);
  sqlite3_exec(db,
               "CREATE INDEX k ON usage_records(key_id, time); "
               "CREATE INDEX w ON usage_records(workspace_id, time);",
               nullptr, nullptr, nullptr);
  const std::string page =
      "SELECT * FROM usage_records WHERE %s = ? ORDER BY time DESC, id DESC LIMIT 50";
  auto page_sql = [&](const char* col) {
    char buf[256];
    std::snprintf(buf, sizeof buf, page.c_str(), col);
    return std::string(buf);
  };
  const std::string failures =
      "SELECT status, error_code, COUNT(*), MAX(time) FROM usage_records WHERE key_id = ? AND "
      "status >= 400 AND status <> 499 GROUP BY status, error_code";
  std::printf("reads over a week of %d records: rollup minutes vs per-key/workspace indexes\n", n);
  auto row = [](const char* what, double spans_ms, double indexed) {
    std::printf("  %-34s %8.2f ms   indexed %8.2f ms   %6.1fx\n", what, spans_ms, indexed,
                spans_ms / indexed);
  };
  auto key_page = [&](const std::string& key) {
    m::UsageFilter f;
    f.key_id = key;
    return best_ms([&] { m::usage_records(*st, f, 0, 50); });
  };
  row("page of 50, busy key (2%)", key_page("key-7"), indexed_ms(db, page_sql("key_id"), "key-7"));
  row("page of 50, rare key (0.02%)", key_page("key-rare"),
      indexed_ms(db, page_sql("key_id"), "key-rare"));
  m::UsageFilter ws;
  ws.workspace_id = "ws-small";
  row("page of 50, small workspace", best_ms([&] { m::usage_records(*st, ws, 0, 50); }),
      indexed_ms(db, page_sql("workspace_id"), "ws-small"));
  m::UsageFilter rare;
  rare.key_id = "key-rare";
  row("failures of the rare key", best_ms([&] { m::usage_failures(*st, rare); }),
      indexed_ms(db, failures, "key-rare"));
  m::UsageFilter busy;
  busy.key_id = "key-7";
  row("failures of a busy key", best_ms([&] { m::usage_failures(*st, busy); }),
      indexed_ms(db, failures, "key-7"));
  sqlite3_close(db);
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
  run_queries(dir.string(), 1000000);
  fs::remove_all(dir);
  return 0;
}
