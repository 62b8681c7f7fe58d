#pragma once
// Where in time a filter's records lie, read from the minute rollups.
//
// usage_records is indexed by time alone: an index per key or workspace
// would be written by every request (each one a b-tree insert costing the
// metering writer as much as a third of the row itself). A query that
// reads records of one key or workspace, or of one status class, first
// asks the rollups (indexed by key and by workspace, and written once per
// batch and group, not per record) which minutes hold any, and then reads
// only those minutes, each a tight search of the time index.
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

// The filter's spans, newest first; from the newest `max_minutes` minutes
// that hold any when that is positive.
std::vector<RecordSpan> record_spans(store::Store& st, const UsageFilter& f,
                                     int64_t max_minutes = 0);

// The newest spans that hold at least `need` records (all of them when the
// counts are upper bounds or fall short).
std::vector<RecordSpan> newest_spans_holding(std::vector<RecordSpan> spans, int64_t need,
                                             bool exact);

// A derived table to read instead of usage_records: the records inside the
// spans, one UNION ALL arm per span so that each is a range search of the
// time index (an OR of ranges can make a planner scan the whole index).
// Its parameters are appended to `params`. Past `max_arms` spans (SQLite
// allows 500 arms) the
// closest neighbours are joined: the arms then also hold some records
// between them, which the query's own conditions still filter.
std::string spans_source(const std::vector<RecordSpan>& spans, store::Params& params,
                         size_t max_arms = 400);

}  // namespace hydra::metering
