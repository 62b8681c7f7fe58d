#include "metering/rollup.h"

#include <map>
#include <string>
#include <tuple>

namespace hydra::metering {

int64_t step_ms(Granularity g) {
  switch (g) {
    case Granularity::kMinute:
      return 60 * 1000;
    case Granularity::kHour:
      return 3600 * 1000;
    case Granularity::kDay:
      return 86400 * 1000;
  }
  return 60 * 1000;
}

const char* granularity_name(Granularity g) {
  switch (g) {
    case Granularity::kMinute:
      return "minute";
    case Granularity::kHour:
      return "hour";
    case Granularity::kDay:
      return "day";
  }
  return "minute";
}

std::optional<Granularity> parse_granularity(std::string_view text) {
  for (Granularity g : kAllGranularities) {
    if (text == granularity_name(g)) return g;
  }
  return std::nullopt;
}

int64_t bucket_start(int64_t ms, Granularity g) {
  int64_t step = step_ms(g);
  int64_t q = ms / step;
  if (ms % step != 0 && ms < 0) --q;
  return q * step;
}

void Totals::add(const UsageRecord& r) {
  calls += 1;
  failures += is_failure(r.status) ? 1 : 0;
  aborted += is_aborted(r.status) ? 1 : 0;
  prompt_tokens += r.prompt_tokens;
  completion_tokens += r.completion_tokens;
  cached_tokens += r.cached_tokens;
  cost += r.cost;
}

void Totals::add(const Totals& t) {
  calls += t.calls;
  failures += t.failures;
  aborted += t.aborted;
  prompt_tokens += t.prompt_tokens;
  completion_tokens += t.completion_tokens;
  cached_tokens += t.cached_tokens;
  cost += t.cost;
}

std::vector<store::Params> rollup_rows(std::span<const UsageRecord> batch) {
  // Records are summed per minute first (one lookup each, keys viewing the
  // batch's own strings), and the few minute sums fold into hours and days.
  using Group = std::tuple<int64_t, std::string_view, std::string_view, std::string_view>;
  std::map<Group, Totals> minutes;
  for (const auto& r : batch) {
    minutes[Group{bucket_start(r.time, Granularity::kMinute), r.workspace_id, r.key_id, r.model}]
        .add(r);
  }
  using Key = std::tuple<int, int64_t, std::string_view, std::string_view, std::string_view>;
  std::map<Key, Totals> sums;
  for (const auto& [g, t] : minutes) {
    for (Granularity gr : kAllGranularities) {
      Key k{static_cast<int>(gr), bucket_start(std::get<0>(g), gr), std::get<1>(g), std::get<2>(g),
            std::get<3>(g)};
      sums[k].add(t);
    }
  }
  std::vector<store::Params> rows;
  rows.reserve(sums.size());
  for (const auto& [k, t] : sums) {
    rows.push_back({std::string(granularity_name(static_cast<Granularity>(std::get<0>(k)))),
                    std::get<1>(k), std::string(std::get<2>(k)), std::string(std::get<3>(k)),
                    std::string(std::get<4>(k)), t.calls, t.failures, t.aborted, t.prompt_tokens,
                    t.completion_tokens, t.cached_tokens, t.cost});
  }
  return rows;
}

void add_to_rollups(store::Session& s, const std::vector<store::Params>& rows) {
  for (const auto& row : rows) {
    s.exec(
        "INSERT INTO usage_rollups (granularity, bucket, workspace_id, key_id, model, calls, "
        "failures, aborted, prompt_tokens, completion_tokens, cached_tokens, cost) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (granularity, bucket, workspace_id, key_id, model) DO UPDATE SET "
        "calls = usage_rollups.calls + excluded.calls, "
        "failures = usage_rollups.failures + excluded.failures, "
        "aborted = usage_rollups.aborted + excluded.aborted, "
        "prompt_tokens = usage_rollups.prompt_tokens + excluded.prompt_tokens, "
        "completion_tokens = usage_rollups.completion_tokens + excluded.completion_tokens, "
        "cached_tokens = usage_rollups.cached_tokens + excluded.cached_tokens, "
        "cost = usage_rollups.cost + excluded.cost",
        row);
  }
}

}  // namespace hydra::metering
