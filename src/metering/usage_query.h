#pragma once
// Reading usage back: totals, time series grouped by minute/hour/day and
// by key or model, failures by error code, and pages of records. Time
// ranges have minute resolution ([from, to) rounded down to whole minutes)
// so that sums come from the rollups when no status filter is given; with a
// status filter they are computed from the records, read only in the
// minutes the rollups say hold any (record_spans.h).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "metering/rollup.h"
#include "metering/usage_record.h"
#include "store/store.h"

namespace hydra::metering {

struct UsageFilter {
  std::string workspace_id;  // "" for every workspace
  std::string key_id;
  std::string model;
  int64_t from_ms = -1;  // inclusive; -1 for no bound
  int64_t to_ms = -1;    // exclusive; -1 for no bound
  // "" (all), "success", "failed", "aborted", or an HTTP status ("429").
  std::string status;
};

// Throws ApiError (PARAM_ERROR) when status is none of the accepted forms
// or the range is reversed; rounds the range to minutes.
UsageFilter normalized(UsageFilter f);

struct GroupBy {
  std::optional<Granularity> time;
  bool key = false;
  bool model = false;
  bool any() const { return time || key || model; }
};

struct UsageGroup {
  int64_t bucket = -1;  // start of the time bucket; -1 when not grouped by time
  std::string key_id;   // when grouped by key
  std::string model;    // when grouped by model
  Totals totals;
};

struct FailureCount {
  int64_t status = 0;
  int64_t error_code = 0;
  int64_t count = 0;
  int64_t last_time = 0;
};

struct RecordPage {
  std::vector<UsageRecord> items;
  int64_t total = 0;
};

Totals usage_totals(store::Store& st, const UsageFilter& f);
// Ordered by bucket, then key, then model; at most `limit` groups.
std::vector<UsageGroup> usage_groups(store::Store& st, const UsageFilter& f, const GroupBy& g,
                                     int64_t limit = 100000);
// Failed requests by (status, error code), most frequent first.
std::vector<FailureCount> usage_failures(store::Store& st, const UsageFilter& f);
// Newest first. `total` counts every matching record.
RecordPage usage_records(store::Store& st, const UsageFilter& f, int64_t offset, int64_t limit);

}  // namespace hydra::metering
