#include "metering/record_spans.h"

#include <algorithm>
#include <numeric>

#include "metering/rollup.h"
#include "metering/usage_query.h"

namespace hydra::metering {

namespace {

// The rollup sum that counts what the status filter keeps (usage_record.h:
// a failure is a status of 400 or more except 499, which is an abort).
std::string rollup_count(const std::string& status) {
  if (status.empty()) return "calls";
  if (status == "failed") return "failures";
  if (status == "aborted") return "aborted";
  if (status == "success") return "calls - failures - aborted";
  int code = std::stoi(status);  // normalized(): at most three digits
  if (code == 499) return "aborted";
  if (code >= 400) return "failures";
  return "calls - failures - aborted";
}

}  // namespace

bool spans_narrow(const UsageFilter& f) {
  return !f.key_id.empty() || !f.workspace_id.empty() || !f.status.empty();
}

bool span_counts_exact(const UsageFilter& f) {
  return f.status.empty() || f.status == "failed" || f.status == "aborted";
}

std::vector<RecordSpan> record_spans(store::Store& st, const UsageFilter& f, int64_t max_minutes) {
  const std::string count = "SUM(" + rollup_count(f.status) + ")";
  std::string sql = "SELECT bucket, " + count + " AS n FROM usage_rollups WHERE granularity = ?";
  store::Params params{std::string(granularity_name(Granularity::kMinute))};
  auto add = [&](const char* cond, store::Value v) {
    sql += std::string(" AND ") + cond;
    params.push_back(std::move(v));
  };
  if (!f.workspace_id.empty()) add("workspace_id = ?", f.workspace_id);
  if (!f.key_id.empty()) add("key_id = ?", f.key_id);
  if (!f.model.empty()) add("model = ?", f.model);
  if (f.from_ms >= 0) add("bucket >= ?", f.from_ms);
  if (f.to_ms >= 0) add("bucket < ?", f.to_ms);
  // Newest first along the index, so a limited read stops early.
  sql += " GROUP BY bucket HAVING " + count + " > 0 ORDER BY bucket DESC";
  if (max_minutes > 0) {
    sql += " LIMIT ?";
    params.emplace_back(max_minutes);
  }
  const int64_t minute = step_ms(Granularity::kMinute);
  std::vector<RecordSpan> spans;
  for (const auto& r : st.query(sql, params)) {
    int64_t bucket = r.i64("bucket");
    int64_t n = r.i64("n");  // above 0: HAVING
    if (!spans.empty() && spans.back().from_ms == bucket + minute) {
      spans.back().from_ms = bucket;
      spans.back().count += n;
    } else {
      spans.push_back({bucket, bucket + minute, n});
    }
  }
  return spans;
}

std::vector<RecordSpan> newest_spans_holding(std::vector<RecordSpan> spans, int64_t need,
                                             bool exact) {
  if (!exact) return spans;
  int64_t held = 0;
  for (size_t i = 0; i < spans.size(); ++i) {
    held += spans[i].count;
    if (held >= need) {
      spans.resize(i + 1);
      break;
    }
  }
  return spans;
}

namespace {

// Joins the closest neighbours (newest first) until at most `max_arms`
// spans are left.
std::vector<RecordSpan> joined(const std::vector<RecordSpan>& spans, size_t max_arms) {
  if (spans.size() <= max_arms) return spans;
  // gap i lies between spans[i] (newer) and spans[i + 1] (older)
  std::vector<size_t> gaps(spans.size() - 1);
  std::iota(gaps.begin(), gaps.end(), size_t{0});
  auto width = [&](size_t i) { return spans[i].from_ms - spans[i + 1].to_ms; };
  std::sort(gaps.begin(), gaps.end(), [&](size_t a, size_t b) { return width(a) < width(b); });
  std::vector<bool> close(spans.size() - 1, false);
  for (size_t k = 0; k < spans.size() - max_arms; ++k) close[gaps[k]] = true;
  std::vector<RecordSpan> out{spans[0]};
  for (size_t i = 1; i < spans.size(); ++i) {
    if (close[i - 1]) {
      out.back().from_ms = spans[i].from_ms;
      out.back().count += spans[i].count;
    } else {
      out.push_back(spans[i]);
    }
  }
  return out;
}

}  // namespace

std::string spans_source(const std::vector<RecordSpan>& spans, store::Params& params,
                         size_t max_arms) {
  if (spans.empty()) return "(SELECT * FROM usage_records WHERE 1 = 0) AS spans";
  std::string sql = "(";
  for (const auto& s : joined(spans, std::max<size_t>(max_arms, 1))) {
    if (sql.size() > 1) sql += " UNION ALL ";
    sql += "SELECT * FROM usage_records WHERE time >= ? AND time < ?";
    params.emplace_back(s.from_ms);
    params.emplace_back(s.to_ms);
  }
  return sql + ") AS spans";
}

}  // namespace hydra::metering
