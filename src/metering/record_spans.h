#pragma once
// Where in time a filter's records lie, read from the minute rollups.
//
// usage_records is indexed by time alone: an index per key or workspace
// would be written by every request (each one a b-tree insert costing the
// metering writer as much as a third of the row itself). A query that
// reads records of one key or workspace, or of one status class, first
// asks the rollups (indexed by key and by workspace, and written once per
// batch and group, not per record) which minutes hold any, and then reads
// only those minutes through the time index.
#include <cstdint>
#include <string>
#include <vector>

#include "store/store.h"

namespace hydra::metering {

struct UsageFilter;

// A run of consecutive minutes [from_ms, to_ms) with `count` matching
// records by the rollups' reckoning (exact for no status, "failed" and
// "aborted"; an upper bound for the other status filters).
struct RecordSpan {
  int64_t from_ms = 0;
  int64_t to_ms = 0;
  int64_t count = 0;
};

// Whether the rollups can narrow this filter: it names a key or a
// workspace (which the rollups index) or a status class.
bool spans_narrow(const UsageFilter& f);

// True when a span's count is the exact number of matching records.
bool span_counts_exact(const UsageFilter& f);

// The filter's spans, newest first.
std::vector<RecordSpan> record_spans(store::Store& st, const UsageFilter& f);

// The newest spans that hold at least `need` records (all of them when the
// counts are upper bounds or fall short).
std::vector<RecordSpan> newest_spans_holding(std::vector<RecordSpan> spans, int64_t need,
                                             bool exact);

// A SQL condition on `time` that keeps exactly the records inside the spans
// (a false one for none), and its parameters appended to `params`. Past
// `max_terms` spans, the closest neighbours are joined: the condition then
// admits some records between them, which the query's other conditions
// still filter.
std::string time_condition(const std::vector<RecordSpan>& spans, store::Params& params,
                           size_t max_terms = 64);

}  // namespace hydra::metering
