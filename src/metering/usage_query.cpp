#include "metering/usage_query.h"

#include "common/error.h"
#include "metering/record_spans.h"

namespace hydra::metering {

namespace {

constexpr const char* kRollupSums =
    "SUM(calls) AS calls, SUM(failures) AS failures, SUM(aborted) AS aborted, "
    "SUM(prompt_tokens) AS prompt_tokens, SUM(completion_tokens) AS completion_tokens, "
    "SUM(cached_tokens) AS cached_tokens, SUM(cost) AS cost";
constexpr const char* kRecordSums =
    "COUNT(*) AS calls, SUM(CASE WHEN status >= 400 AND status <> 499 THEN 1 ELSE 0 END) AS "
    "failures, SUM(CASE WHEN status = 499 THEN 1 ELSE 0 END) AS aborted, "
    "SUM(prompt_tokens) AS prompt_tokens, SUM(completion_tokens) AS completion_tokens, "
    "SUM(cached_tokens) AS cached_tokens, SUM(cost) AS cost";
constexpr const char* kFailed = "status >= 400 AND status <> 499";

struct Where {
  std::string sql;  // " WHERE ..." or ""
  store::Params params;
  void add(const std::string& cond) { sql += (sql.empty() ? " WHERE " : " AND ") + cond; }
  void add(const std::string& cond, store::Value v) {
    add(cond);
    params.push_back(std::move(v));
  }
};

bool is_number(const std::string& s) {
  return !s.empty() && s.size() <= 3 && s.find_first_not_of("0123456789") == std::string::npos;
}

// Filters on usage_records (rollups == false) or usage_rollups of one granularity.
Where where_for(const UsageFilter& f, std::optional<Granularity> rollups) {
  Where w;
  if (rollups) w.add("granularity = ?", std::string(granularity_name(*rollups)));
  if (!f.workspace_id.empty()) w.add("workspace_id = ?", f.workspace_id);
  if (!f.key_id.empty()) w.add("key_id = ?", f.key_id);
  if (!f.model.empty()) w.add("model = ?", f.model);
  std::string time_col = rollups ? "bucket" : "time";
  if (f.from_ms >= 0) w.add(time_col + " >= ?", f.from_ms);
  if (f.to_ms >= 0) w.add(time_col + " < ?", f.to_ms);
  if (f.status == "success") w.add("status >= 200 AND status < 400");
  if (f.status == "failed") w.add(kFailed);
  if (f.status == "aborted") w.add("status = 499");
  if (is_number(f.status)) w.add("status = ?", int64_t{std::stoi(f.status)});
  return w;
}

bool aligned(int64_t ms, Granularity g) {
  return ms < 0 || ms % step_ms(g) == 0;
}

// The coarsest rollup that covers the range exactly and is no coarser than
// the grouping asked for; none when a status filter needs the records.
std::optional<Granularity> rollup_for(const UsageFilter& f, std::optional<Granularity> group) {
  if (!f.status.empty()) return std::nullopt;
  for (Granularity g : {Granularity::kDay, Granularity::kHour, Granularity::kMinute}) {
    if (group && step_ms(g) > step_ms(*group)) continue;
    if (aligned(f.from_ms, g) && aligned(f.to_ms, g)) return g;
  }
  return Granularity::kMinute;
}

Totals totals_of(const store::Rows::Row& r) {
  Totals t;
  t.calls = r.i64("calls");
  t.failures = r.i64("failures");
  t.aborted = r.i64("aborted");
  t.prompt_tokens = r.i64("prompt_tokens");
  t.completion_tokens = r.i64("completion_tokens");
  t.cached_tokens = r.i64("cached_tokens");
  t.cost = r.f64("cost");
  return t;
}

UsageRecord record_of(const store::Rows::Row& r) {
  UsageRecord u;
  u.id = r.str("id");
  u.time = r.i64("time");
  u.request_id = r.str("request_id");
  u.workspace_id = r.str("workspace_id");
  u.user_id = r.str("user_id");
  u.key_id = r.str("key_id");
  u.model = r.str("model");
  u.upstream = r.str("upstream");
  u.prompt_tokens = r.i64("prompt_tokens");
  u.completion_tokens = r.i64("completion_tokens");
  u.cached_tokens = r.i64("cached_tokens");
  u.cost = r.f64("cost");
  u.status = static_cast<int>(r.i64("status"));
  u.error_code = r.i64("error_code");
  u.latency_ms = r.i64("latency_ms");
  u.ttft_ms = r.i64("ttft_ms");
  u.stream = r.boolean("stream");
  return u;
}

int64_t floor_minute(int64_t ms) {
  return ms < 0 ? ms : bucket_start(ms, Granularity::kMinute);
}

// What a query reads (a table, or a derived table with its own
// parameters) and its filters.
struct Source {
  std::string from;
  store::Params from_params;
  Where w;
  store::Params params() const {
    store::Params all = from_params;
    all.insert(all.end(), w.params.begin(), w.params.end());
    return all;
  }
};

// usage_records, or for a filter the rollups narrow only the given spans.
Source records(const UsageFilter& f, const std::vector<RecordSpan>* spans) {
  Source src{"usage_records", {}, where_for(f, std::nullopt)};
  if (spans) src.from = spans_source(*spans, src.from_params);
  return src;
}

// The rollups of one granularity, or the records in the minutes the
// rollups say hold matching ones (record_spans.h).
Source source_for(store::Store& st, const UsageFilter& f, std::optional<Granularity> rollups) {
  if (rollups) return Source{"usage_rollups", {}, where_for(f, rollups)};
  if (!spans_narrow(f)) return records(f, nullptr);
  auto spans = record_spans(st, f);
  return records(f, &spans);
}

// The records a status filter keeps inside its spans: the rollups' own
// count where it is exact, else counted.
int64_t records_in(store::Store& st, const UsageFilter& f, const std::vector<RecordSpan>& spans) {
  if (span_counts_exact(f)) {
    int64_t n = 0;
    for (const auto& s : spans) n += s.count;
    return n;
  }
  Source src = records(f, &spans);
  return st.query("SELECT COUNT(*) AS n FROM " + src.from + src.w.sql, src.params())[0].i64("n");
}

}  // namespace

UsageFilter normalized(UsageFilter f) {
  if (!f.status.empty() && f.status != "success" && f.status != "failed" && f.status != "aborted" &&
      !is_number(f.status)) {
    throw_param("'status' must be success, failed, aborted or an HTTP status code", "status");
  }
  f.from_ms = floor_minute(f.from_ms);
  f.to_ms = floor_minute(f.to_ms);
  if (f.from_ms >= 0 && f.to_ms >= 0 && f.from_ms > f.to_ms) {
    throw_param("'from' must not be after 'to'", "from");
  }
  return f;
}

Totals usage_totals(store::Store& st, const UsageFilter& f) {
  auto table = rollup_for(f, std::nullopt);
  Source src = source_for(st, f, table);
  std::string sql = std::string("SELECT ") + (table ? kRollupSums : kRecordSums) + " FROM " +
                    src.from + src.w.sql;
  auto rows = st.query(sql, src.params());
  return rows.empty() ? Totals{} : totals_of(rows[0]);
}

std::vector<UsageGroup> usage_groups(store::Store& st, const UsageFilter& f, const GroupBy& g,
                                     int64_t limit) {
  auto table = rollup_for(f, g.time);
  Source src = source_for(st, f, table);
  std::vector<std::string> dims;
  if (g.time) {
    std::string step = std::to_string(step_ms(*g.time));
    dims.push_back("(" + std::string(table ? "bucket" : "time") + " / " + step + ") * " + step);
  }
  if (g.key) dims.push_back("key_id");
  if (g.model) dims.push_back("model");
  std::string select, group;
  for (size_t i = 0; i < dims.size(); ++i) {
    select += dims[i] + " AS d" + std::to_string(i) + ", ";
    group += (i ? ", " : "") + dims[i];
  }
  std::string sql =
      "SELECT " + select + (table ? kRollupSums : kRecordSums) + " FROM " + src.from + src.w.sql;
  if (!group.empty()) sql += " GROUP BY " + group + " ORDER BY " + group;
  sql += " LIMIT ?";
  src.w.params.push_back(limit);
  std::vector<UsageGroup> out;
  for (const auto& r : st.query(sql, src.params())) {
    UsageGroup u;
    size_t col = 0;
    if (g.time) u.bucket = r.i64("d" + std::to_string(col++));
    if (g.key) u.key_id = r.str("d" + std::to_string(col++));
    if (g.model) u.model = r.str("d" + std::to_string(col++));
    u.totals = totals_of(r);
    if (u.totals.calls > 0) out.push_back(std::move(u));
  }
  return out;
}

std::vector<FailureCount> usage_failures(store::Store& st, const UsageFilter& f) {
  UsageFilter failed = f;
  if (failed.status.empty()) failed.status = "failed";  // only minutes with failures are read
  Source src = source_for(st, failed, std::nullopt);
  src.w.add(kFailed);
  auto rows = st.query("SELECT status, error_code, COUNT(*) AS n, MAX(time) AS last_time FROM " +
                           src.from + src.w.sql +
                           " GROUP BY status, error_code ORDER BY n DESC, status, error_code "
                           "LIMIT 100",
                       src.params());
  std::vector<FailureCount> out;
  for (const auto& r : rows) {
    out.push_back({r.i64("status"), r.i64("error_code"), r.i64("n"), r.i64("last_time")});
  }
  return out;
}

RecordPage usage_records(store::Store& st, const UsageFilter& f, int64_t offset, int64_t limit) {
  RecordPage page;
  const int64_t need = offset + limit;
  std::optional<std::vector<RecordSpan>> spans;
  if (f.status.empty()) {
    page.total = usage_totals(st, f).calls;
    // Exact counts: no more minutes than records hold the page.
    if (spans_narrow(f)) spans = newest_spans_holding(record_spans(st, f, need), need, true);
  } else {
    spans = record_spans(st, f);
    page.total = records_in(st, f, *spans);
    spans = newest_spans_holding(std::move(*spans), need, span_counts_exact(f));
  }
  Source src = records(f, spans ? &*spans : nullptr);
  src.w.params.push_back(limit);
  src.w.params.push_back(offset);
  auto rows = st.query(
      "SELECT id, time, request_id, workspace_id, user_id, key_id, model, upstream, "
      "prompt_tokens, completion_tokens, cached_tokens, cost, status, error_code, latency_ms, "
      "ttft_ms, stream FROM " +
          src.from + src.w.sql + " ORDER BY time DESC, id DESC LIMIT ? OFFSET ?",
      src.params());
  for (const auto& r : rows) page.items.push_back(record_of(r));
  return page;
}

}  // namespace hydra::metering
