#include "metering/record_inserts.h"

#include <array>
#include <stdexcept>
#include <string>

namespace hydra::metering {

namespace {

constexpr size_t kColumns = 17;

// "INSERT ... VALUES (?, ...), (?, ...)" for `rows` rows.
std::string insert_sql(size_t rows) {
  std::string sql =
      "INSERT INTO usage_records (id, time, request_id, workspace_id, user_id, key_id, model, "
      "upstream, prompt_tokens, completion_tokens, cached_tokens, cost, status, error_code, "
      "latency_ms, ttft_ms, stream) VALUES ";
  for (size_t r = 0; r < rows; ++r) {
    sql += r == 0 ? "(" : ", (";
    for (size_t c = 0; c < kColumns; ++c) sql += c == 0 ? "?" : ", ?";
    sql += ")";
  }
  return sql;
}

// The texts for 1 to kRowsPerInsert rows, built once.
std::string_view sql_for(size_t rows) {
  static const std::array<std::string, kRowsPerInsert + 1> texts = [] {
    std::array<std::string, kRowsPerInsert + 1> t;
    for (size_t n = 1; n <= kRowsPerInsert; ++n) t[n] = insert_sql(n);
    return t;
  }();
  return texts[rows];
}

// A record's values in the column order above, its strings moved in.
void append_row(store::Params& p, UsageRecord&& r) {
  p.emplace_back(std::move(r.id));
  p.emplace_back(r.time);
  p.emplace_back(std::move(r.request_id));
  p.emplace_back(std::move(r.workspace_id));
  p.emplace_back(std::move(r.user_id));
  p.emplace_back(std::move(r.key_id));
  p.emplace_back(std::move(r.model));
  p.emplace_back(std::move(r.upstream));
  p.emplace_back(r.prompt_tokens);
  p.emplace_back(r.completion_tokens);
  p.emplace_back(r.cached_tokens);
  p.emplace_back(r.cost);
  p.emplace_back(int64_t{r.status});
  p.emplace_back(r.error_code);
  p.emplace_back(r.latency_ms);
  p.emplace_back(r.ttft_ms);
  p.emplace_back(int64_t{r.stream ? 1 : 0});
}

}  // namespace

RecordInsert record_insert(std::span<UsageRecord> rows) {
  if (rows.empty() || rows.size() > kRowsPerInsert) {
    throw std::invalid_argument("record_insert: 1 to kRowsPerInsert rows");
  }
  RecordInsert ins;
  ins.sql = sql_for(rows.size());
  ins.params.reserve(rows.size() * kColumns);
  for (auto& r : rows) append_row(ins.params, std::move(r));
  return ins;
}

}  // namespace hydra::metering
