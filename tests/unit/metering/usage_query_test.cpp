// Aggregates, filters, failures and pages read back from what the recorder
// wrote, checked against sums computed here from the same records, on
// SQLite and PostgreSQL.
#include "metering/usage_query.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <random>

#include "../store/test_database.h"
#include "common/error.h"
#include "common/random.h"
#include "metering/record_spans.h"
#include "metering/usage_recorder.h"

namespace hydra::metering {
namespace {

using store::testing::Backend;

constexpr int64_t kDay = 86400000;
constexpr int64_t kHour = 3600000;
constexpr int64_t kT0 = 1767225600000;  // 2026-01-01T00:00:00Z

class UsageQueryTest : public store::testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (HasFatalFailure()) return;
    st_ = db().open();
    st_->migrate();
  }

  // Deterministic records over three days, two workspaces, three keys,
  // two models and a mix of statuses.
  std::vector<UsageRecord> make_records(int n) {
    std::mt19937_64 rng(42);
    std::vector<UsageRecord> out;
    const int statuses[] = {200, 200, 200, 200, 200, 499, 429, 502, 200, 400};
    for (int i = 0; i < n; ++i) {
      UsageRecord r;
      r.id = new_id();
      r.time = kT0 + static_cast<int64_t>(rng() % (3 * kDay));
      r.workspace_id = "ws" + std::to_string(rng() % 2);
      r.key_id = "key" + std::to_string(rng() % 3);
      r.model = rng() % 2 ? "public/a" : "public/b";
      r.status = statuses[rng() % 10];
      r.error_code = r.status >= 400 && r.status != 499 ? 500000 + r.status : 0;
      r.prompt_tokens = static_cast<int64_t>(rng() % 100);
      r.completion_tokens =
          r.status == 200 || r.status == 499 ? static_cast<int64_t>(rng() % 50) : 0;
      r.cost = static_cast<double>(r.prompt_tokens) / 1000.0;  // fixed, so no price lookup
      r.request_id = "req-" + std::to_string(i);
      out.push_back(r);
    }
    return out;
  }

  void record_all(const std::vector<UsageRecord>& records) {
    http::Metrics metrics;
    UsageRecorderOptions o;
    o.capacity = records.size() + 1;
    o.batch = 512;
    o.interval_ms = 60000;
    UsageRecorder rec(*st_, metrics, o);
    for (const auto& r : records) ASSERT_TRUE(rec.submit(r));
    rec.flush();
  }

  static bool matches(const UsageRecord& r, const UsageFilter& f) {
    if (!f.workspace_id.empty() && r.workspace_id != f.workspace_id) return false;
    if (!f.key_id.empty() && r.key_id != f.key_id) return false;
    if (!f.model.empty() && r.model != f.model) return false;
    if (f.from_ms >= 0 && r.time < f.from_ms) return false;
    if (f.to_ms >= 0 && r.time >= f.to_ms) return false;
    if (f.status == "failed" && !is_failure(r.status)) return false;
    if (f.status == "aborted" && r.status != 499) return false;
    if (f.status == "success" && (r.status < 200 || r.status >= 400)) return false;
    return true;
  }

  static Totals expected_totals(const std::vector<UsageRecord>& rs, const UsageFilter& f) {
    Totals t;
    for (const auto& r : rs) {
      if (matches(r, f)) t.add(r);
    }
    return t;
  }

  static void expect_same(const Totals& got, const Totals& want) {
    EXPECT_EQ(got.calls, want.calls);
    EXPECT_EQ(got.failures, want.failures);
    EXPECT_EQ(got.aborted, want.aborted);
    EXPECT_EQ(got.prompt_tokens, want.prompt_tokens);
    EXPECT_EQ(got.completion_tokens, want.completion_tokens);
    EXPECT_NEAR(got.cost, want.cost, 1e-6);
  }

  std::unique_ptr<store::Store> st_;
};

TEST_P(UsageQueryTest, TotalsFromRollupsEqualSumsOverRecords) {
  auto rs = make_records(3000);
  record_all(rs);
  std::vector<UsageFilter> filters(6);
  filters[1].workspace_id = "ws1";
  filters[2].key_id = "key2";
  filters[2].model = "public/a";
  filters[3].from_ms = kT0 + kDay;  // day-aligned: the day rollup
  filters[3].to_ms = kT0 + 2 * kDay;
  filters[4].from_ms = kT0 + 5 * kHour + 17 * 60000;  // only minute-aligned
  filters[4].to_ms = kT0 + 40 * kHour + 3 * 60000;
  filters[5].status = "failed";  // from the records
  filters[5].workspace_id = "ws0";
  for (const auto& f : filters) {
    SCOPED_TRACE(f.workspace_id + "|" + f.key_id + "|" + f.status + "|" +
                 std::to_string(f.from_ms));
    expect_same(usage_totals(*st_, normalized(f)), expected_totals(rs, f));
  }
  Totals all = usage_totals(*st_, UsageFilter{});
  EXPECT_EQ(all.calls, 3000);
  EXPECT_GT(all.failures, 0);
  EXPECT_GT(all.aborted, 0);
}

TEST_P(UsageQueryTest, GroupsByTimeKeyAndModel) {
  auto rs = make_records(2000);
  record_all(rs);
  for (Granularity g : kAllGranularities) {
    for (bool by_model : {false, true}) {
      GroupBy by;
      by.time = g;
      by.model = by_model;
      UsageFilter f;
      f.workspace_id = "ws0";
      f.from_ms = kT0 + 3 * kHour;
      f.to_ms = kT0 + 50 * kHour;
      std::map<std::pair<int64_t, std::string>, Totals> want;
      for (const auto& r : rs) {
        if (matches(r, f)) want[{bucket_start(r.time, g), by_model ? r.model : ""}].add(r);
      }
      auto got = usage_groups(*st_, normalized(f), by);
      ASSERT_EQ(got.size(), want.size()) << granularity_name(g);
      for (const auto& grp : got) {
        auto it = want.find({grp.bucket, grp.model});
        ASSERT_NE(it, want.end()) << grp.bucket << " " << grp.model;
        expect_same(grp.totals, it->second);
      }
    }
  }
  GroupBy by_key;
  by_key.key = true;
  auto keys = usage_groups(*st_, UsageFilter{}, by_key);
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[0].key_id, "key0");
  EXPECT_EQ(keys[0].bucket, -1);
  int64_t calls = 0;
  for (const auto& k : keys) calls += k.totals.calls;
  EXPECT_EQ(calls, 2000);
}

TEST_P(UsageQueryTest, FailuresByStatusAndCodeAndRecordPages) {
  auto rs = make_records(1000);
  record_all(rs);
  auto failures = usage_failures(*st_, UsageFilter{});
  std::map<int64_t, int64_t> want;
  for (const auto& r : rs) {
    if (is_failure(r.status)) want[r.status]++;
  }
  ASSERT_EQ(failures.size(), want.size());
  for (const auto& f : failures) {
    EXPECT_EQ(f.count, want[f.status]) << f.status;
    EXPECT_EQ(f.error_code, 500000 + f.status);
  }
  for (size_t i = 1; i < failures.size(); ++i) EXPECT_GE(failures[i - 1].count, failures[i].count);

  UsageFilter f;
  f.key_id = "key1";
  auto page = usage_records(*st_, f, 0, 10);
  EXPECT_EQ(page.total, expected_totals(rs, f).calls);
  ASSERT_EQ(page.items.size(), 10u);
  for (size_t i = 1; i < page.items.size(); ++i) {
    EXPECT_GE(page.items[i - 1].time, page.items[i].time);  // newest first
  }
  EXPECT_EQ(page.items[0].key_id, "key1");
  f.status = "429";
  auto limited = usage_records(*st_, normalized(f), 0, 1000);
  int64_t want_429 = 0;
  for (const auto& r : rs) want_429 += r.key_id == "key1" && r.status == 429 ? 1 : 0;
  EXPECT_GT(want_429, 0);
  EXPECT_EQ(limited.total, want_429);
  EXPECT_EQ(static_cast<int64_t>(limited.items.size()), want_429);
  for (const auto& r : limited.items) EXPECT_EQ(r.status, 429);
}

// usage_records has only a time index: queries for one key, workspace or
// status class read the minutes the rollups name (record_spans.h). Over
// three days of sparse records each key's minutes are hundreds of spans,
// more than one condition holds, so neighbours are joined too; every
// answer must still be exactly what the records say.
TEST_P(UsageQueryTest, KeyWorkspaceAndStatusQueriesReadTheRollupsMinutesAndMissNothing) {
  auto rs = make_records(1500);
  record_all(rs);
  auto keeps = [](const UsageRecord& r, const UsageFilter& f) {
    if (!matches(r, f)) return false;
    bool numeric = !f.status.empty() && std::isdigit(static_cast<unsigned char>(f.status[0]));
    return !numeric || r.status == std::stoi(f.status);
  };
  auto filter = [](std::string ws, std::string key, std::string status) {
    UsageFilter f;
    f.workspace_id = std::move(ws);
    f.key_id = std::move(key);
    f.status = std::move(status);
    return f;
  };
  std::vector<UsageFilter> filters = {
      filter("", "key1", ""),       filter("ws0", "", ""),        filter("ws1", "key2", ""),
      filter("", "key0", "failed"), filter("ws0", "", "aborted"), filter("", "key1", "success"),
      filter("", "key2", "429"),    filter("", "", "200"),        filter("", "key1", "") /*range*/};
  filters.back().model = "public/a";
  filters.back().from_ms = kT0 + kDay / 2;
  filters.back().to_ms = kT0 + 2 * kDay + 17 * 60000;
  for (const auto& raw : filters) {
    UsageFilter f = normalized(raw);
    SCOPED_TRACE(f.workspace_id + "/" + f.key_id + "/" + f.status + "/" + f.model);
    std::vector<UsageRecord> want;
    for (const auto& r : rs) {
      if (keeps(r, f)) want.push_back(r);
    }
    std::sort(want.begin(), want.end(), [](const UsageRecord& a, const UsageRecord& b) {
      return a.time != b.time ? a.time > b.time : a.id > b.id;
    });
    ASSERT_GT(want.size(), 13u);
    for (int64_t offset : {int64_t{0}, int64_t{7}, static_cast<int64_t>(want.size()) - 5}) {
      auto page = usage_records(*st_, f, offset, 13);
      EXPECT_EQ(page.total, static_cast<int64_t>(want.size()));
      size_t expect_n = std::min<size_t>(13, want.size() - static_cast<size_t>(offset));
      ASSERT_EQ(page.items.size(), expect_n) << "offset " << offset;
      for (size_t i = 0; i < expect_n; ++i) {
        EXPECT_EQ(page.items[i].request_id, want[static_cast<size_t>(offset) + i].request_id);
      }
    }
    if (!f.status.empty()) {
      EXPECT_EQ(usage_totals(*st_, f).calls, static_cast<int64_t>(want.size()));
      GroupBy by_key;
      by_key.key = true;
      int64_t grouped = 0;
      for (const auto& g : usage_groups(*st_, f, by_key)) grouped += g.totals.calls;
      EXPECT_EQ(grouped, static_cast<int64_t>(want.size()));
    }
    std::map<int64_t, int64_t> failed;
    for (const auto& r : want) {
      if (is_failure(r.status)) failed[r.status]++;
    }
    auto failures = usage_failures(*st_, f);
    ASSERT_EQ(failures.size(), failed.size());
    for (const auto& x : failures) EXPECT_EQ(x.count, failed[x.status]) << x.status;
  }
  // A key with no records reads no minutes at all.
  auto none = usage_records(*st_, filter("", "no-such-key", "failed"), 0, 10);
  EXPECT_EQ(none.total, 0);
  EXPECT_TRUE(none.items.empty());
}

TEST(RecordSpans, JoiningTheClosestNeighboursKeepsEveryMinute) {
  // newest first; gaps between them: 60 s, 10 min, 2 min, 1 h
  std::vector<RecordSpan> spans = {{kT0 + 100 * 60000, kT0 + 101 * 60000, 1},
                                   {kT0 + 98 * 60000, kT0 + 99 * 60000, 2},
                                   {kT0 + 80 * 60000, kT0 + 88 * 60000, 3},
                                   {kT0 + 70 * 60000, kT0 + 78 * 60000, 4},
                                   {kT0, kT0 + 10 * 60000, 5}};
  store::Params params;
  const std::string arm = "SELECT * FROM usage_records WHERE time >= ? AND time < ?";
  EXPECT_EQ(spans_source(spans, params, 3),
            "(" + arm + " UNION ALL " + arm + " UNION ALL " + arm + ") AS spans");
  ASSERT_EQ(params.size(), 6u);
  auto at = [&](size_t i) { return std::get<int64_t>(params[i]); };
  EXPECT_EQ(at(0), kT0 + 98 * 60000);  // the two closest gaps are joined
  EXPECT_EQ(at(1), kT0 + 101 * 60000);
  EXPECT_EQ(at(2), kT0 + 70 * 60000);
  EXPECT_EQ(at(3), kT0 + 88 * 60000);
  EXPECT_EQ(at(4), kT0);
  EXPECT_EQ(at(5), kT0 + 10 * 60000);
  store::Params none;
  EXPECT_EQ(spans_source({}, none), "(SELECT * FROM usage_records WHERE 1 = 0) AS spans");
  EXPECT_TRUE(none.empty());
  auto held = newest_spans_holding(spans, 3, true);
  ASSERT_EQ(held.size(), 2u);  // 1 + 2 records reach 3
  EXPECT_EQ(newest_spans_holding(spans, 3, false).size(), spans.size());
  EXPECT_EQ(newest_spans_holding(spans, 1000, true).size(), spans.size());
}

TEST_P(UsageQueryTest, BadFiltersAreParamErrors) {
  UsageFilter f;
  f.status = "broken";
  EXPECT_THROW(normalized(f), ApiError);
  f.status = "";
  f.from_ms = kT0 + kDay;
  f.to_ms = kT0;
  EXPECT_THROW(normalized(f), ApiError);
  f.to_ms = kT0 + kDay + 59999;  // rounds down to `from`: an empty range, not an error
  EXPECT_EQ(usage_totals(*st_, normalized(f)).calls, 0);
}

TEST_P(UsageQueryTest, PricesComeFromTheCatalogModelOfTheRoute) {
  st_->exec(
      "INSERT INTO models (id, display_name, price_input, price_output, created_at, updated_at) "
      "VALUES ('qwen', 'Qwen', 2.0, 8.0, 0, 0)");
  st_->exec(
      "INSERT INTO maas_models (id, model_id, created_at, updated_at) VALUES ('q', 'qwen', 0, 0)");
  std::vector<UsageRecord> rs(3);
  for (size_t i = 0; i < rs.size(); ++i) {
    rs[i].id = new_id();
    rs[i].time = kT0;
    rs[i].status = 200;
    rs[i].prompt_tokens = 1000;
    rs[i].completion_tokens = 500;
  }
  rs[0].model = "public/q";
  rs[1].model = "public/unknown";
  rs[2].model = "public/q";
  rs[2].cost = 1.25;  // already priced by the caller: kept
  record_all(rs);
  auto rows = st_->query("SELECT model, cost FROM usage_records ORDER BY model, cost");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_DOUBLE_EQ(rows[0].f64("cost"), (1000 * 2.0 + 500 * 8.0) / 1e6);
  EXPECT_DOUBLE_EQ(rows[1].f64("cost"), 1.25);
  EXPECT_EQ(rows[2].str("model"), "public/unknown");
  EXPECT_DOUBLE_EQ(rows[2].f64("cost"), 0);
  EXPECT_NEAR(usage_totals(*st_, UsageFilter{}).cost, 0.006 + 1.25, 1e-9);
}

INSTANTIATE_TEST_SUITE_P(Backends, UsageQueryTest,
                         ::testing::ValuesIn(store::testing::all_backends()),
                         store::testing::backend_name);

TEST(Pricing, CostIsPerMillionTokens) {
  Price p{0.5, 1.5};
  EXPECT_DOUBLE_EQ(cost_of(p, 2000000, 1000000), 1.0 + 1.5);
  EXPECT_DOUBLE_EQ(cost_of(p, 0, 0), 0);
  EXPECT_DOUBLE_EQ(cost_of(Price{}, 123, 456), 0);
}

TEST(Rollup, BucketsAreUtcFloors) {
  EXPECT_EQ(bucket_start(kT0 + 59999, Granularity::kMinute), kT0);
  EXPECT_EQ(bucket_start(kT0 + 60000, Granularity::kMinute), kT0 + 60000);
  EXPECT_EQ(bucket_start(kT0 + kHour - 1, Granularity::kHour), kT0);
  EXPECT_EQ(bucket_start(kT0 + kDay + 5, Granularity::kDay), kT0 + kDay);
  EXPECT_EQ(bucket_start(-1, Granularity::kMinute), -60000);
  EXPECT_EQ(parse_granularity("hour"), Granularity::kHour);
  EXPECT_FALSE(parse_granularity("week"));
}

// Sums over many records cost the number of buckets, not of records.
TEST(UsageScale, TotalsOverManyRecordsComeFromRollups) {
  store::testing::TestDatabase db(Backend::kSqlite);
  ASSERT_TRUE(db.ok());
  auto st = db.open();
  st->migrate();
  const char* env = std::getenv("HYDRA_USAGE_SCALE_ROWS");
  int n = env ? std::atoi(env) : 100000;
  http::Metrics metrics;
  UsageRecorderOptions o;
  o.capacity = static_cast<size_t>(n) + 1;
  o.batch = 5000;
  o.interval_ms = 600000;
  int64_t failed_ws1 = 0;
  auto t_write = std::chrono::steady_clock::now();
  {
    UsageRecorder rec(*st, metrics, o);
    for (int i = 0; i < n; ++i) {
      UsageRecord r;
      r.id = "r" + std::to_string(i);
      r.time = kT0 + static_cast<int64_t>(i) * 2600;  // about 30 days for 1M rows
      r.workspace_id = "ws" + std::to_string(i % 4);
      r.key_id = "key" + std::to_string(i % 20);
      r.model = "public/m" + std::to_string(i % 5);
      r.status = i % 100 == 1 ? 502 : 200;
      failed_ws1 += r.status == 502 && i % 4 == 1 ? 1 : 0;
      r.prompt_tokens = 10;
      r.completion_tokens = 20;
      r.cost = 0.001;
      ASSERT_TRUE(rec.submit(std::move(r)));
    }
  }
  double write_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_write).count();
  UsageFilter f;
  f.workspace_id = "ws1";
  auto t0 = std::chrono::steady_clock::now();
  Totals t = usage_totals(*st, f);
  GroupBy by;
  by.time = Granularity::kDay;
  by.model = true;
  auto days = usage_groups(*st, f, by);
  auto page = usage_records(*st, f, 0, 20);
  auto fails = usage_failures(*st, f);
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "usage over " << n << " records: written in " << write_s
            << " s; totals + daily groups + first page + failures in " << ms << " ms\n";
  EXPECT_EQ(t.calls, n / 4);
  EXPECT_EQ(t.prompt_tokens, 10 * (n / 4));
  EXPECT_EQ(page.total, n / 4);
  ASSERT_EQ(fails.size(), 1u);
  EXPECT_EQ(fails[0].count, failed_ws1);
  EXPECT_FALSE(days.empty());
  EXPECT_LT(ms, 2000);  // a scan of every record would take far longer at 1M rows
  f.status = "failed";  // read from the records, through the status index
  auto t1 = std::chrono::steady_clock::now();
  Totals failed = usage_totals(*st, f);
  double failed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
  std::cout << "failed-only totals from the records in " << failed_ms << " ms\n";
  EXPECT_EQ(failed.calls, failed_ws1);
}

}  // namespace
}  // namespace hydra::metering
