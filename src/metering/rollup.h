#pragma once
// Usage aggregates kept on write: every batch of records also adds its
// counts to `usage_rollups`, one row per (granularity, time bucket,
// workspace, key, model), for minute, hour and day buckets (UTC). Queries
// over long ranges read these few rows instead of every record.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "metering/usage_record.h"
#include "store/store.h"

namespace hydra::metering {

enum class Granularity { kMinute, kHour, kDay };

inline constexpr Granularity kAllGranularities[] = {Granularity::kMinute, Granularity::kHour,
                                                    Granularity::kDay};

int64_t step_ms(Granularity g);
const char* granularity_name(Granularity g);
std::optional<Granularity> parse_granularity(std::string_view text);
// The start of the bucket holding `ms` (floor, also for negative times).
int64_t bucket_start(int64_t ms, Granularity g);

// Sums over a set of records.
struct Totals {
  int64_t calls = 0;
  int64_t failures = 0;
  int64_t aborted = 0;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;
  double cost = 0;

  void add(const UsageRecord& r);
  void add(const Totals& t);
};

// What a batch adds to the rollups: one row of upsert parameters per
// distinct bucket/workspace/key/model and granularity. Computed before the
// transaction, so a store that retries it writes the same rows.
std::vector<store::Params> rollup_rows(std::span<const UsageRecord> batch);
// Adds those rows inside the caller's transaction.
void add_to_rollups(store::Session& s, const std::vector<store::Params>& rows);

}  // namespace hydra::metering
