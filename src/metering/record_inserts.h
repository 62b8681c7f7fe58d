#pragma once
// The INSERT statements that store a batch of usage records, several rows
// each. One row per statement paid the statement's own work (a cache
// lookup by its text, binding, opening the table and its index, halting,
// resetting) for every request; at the gateway's rate that was as much as
// the rows themselves (bench/metering_bench).
#include <span>
#include <string_view>

#include "metering/usage_record.h"
#include "store/store.h"

namespace hydra::metering {

// Rows per statement: the writer gives its core up between statements
// (usage_recorder.cpp), so this also bounds how long it holds the core.
inline constexpr size_t kRowsPerInsert = 16;

struct RecordInsert {
  std::string_view sql;  // one of a fixed few texts, for the store's statement cache
  store::Params params;
};

// One statement for `rows` (1 to kRowsPerInsert records), their strings
// moved into its parameters.
RecordInsert record_insert(std::span<UsageRecord> rows);

}  // namespace hydra::metering
