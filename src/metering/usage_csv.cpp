#include "metering/usage_csv.h"

#include <cstdio>

#include "common/clock.h"

namespace hydra::metering {

namespace {

std::string money(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  return buf;
}

void row(std::string& out, const std::vector<std::string>& fields) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    out += fields[i];
  }
  out += "\r\n";
}

void totals_fields(std::vector<std::string>& f, const Totals& t) {
  f.push_back(std::to_string(t.calls));
  f.push_back(std::to_string(t.failures));
  f.push_back(std::to_string(t.aborted));
  f.push_back(std::to_string(t.prompt_tokens));
  f.push_back(std::to_string(t.completion_tokens));
  f.push_back(std::to_string(t.cached_tokens));
  f.push_back(money(t.cost));
}

}  // namespace

std::string csv_field(std::string_view text) {
  std::string s(text);
  if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@')) s = "'" + s;
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

std::string records_csv(const std::vector<UsageRecord>& records) {
  std::string out;
  row(out, {"time", "request_id", "workspace_id", "user_id", "key_id", "model", "upstream",
            "stream", "status", "error_code", "prompt_tokens", "completion_tokens", "cached_tokens",
            "cost", "latency_ms", "ttft_ms"});
  for (const auto& r : records) {
    row(out, {format_time_ms(r.time), csv_field(r.request_id), csv_field(r.workspace_id),
              csv_field(r.user_id), csv_field(r.key_id), csv_field(r.model), csv_field(r.upstream),
              r.stream ? "true" : "false", std::to_string(r.status), std::to_string(r.error_code),
              std::to_string(r.prompt_tokens), std::to_string(r.completion_tokens),
              std::to_string(r.cached_tokens), money(r.cost), std::to_string(r.latency_ms),
              std::to_string(r.ttft_ms)});
  }
  return out;
}

std::string groups_csv(const std::vector<UsageGroup>& groups, const GroupBy& by) {
  std::vector<std::string> head;
  if (by.time) head.push_back("time");
  if (by.key) head.push_back("key_id");
  if (by.model) head.push_back("model");
  for (const char* c : {"calls", "failures", "aborted", "prompt_tokens", "completion_tokens",
                        "cached_tokens", "cost"}) {
    head.push_back(c);
  }
  std::string out;
  row(out, head);
  for (const auto& g : groups) {
    std::vector<std::string> f;
    if (by.time) f.push_back(format_time_ms(g.bucket));
    if (by.key) f.push_back(csv_field(g.key_id));
    if (by.model) f.push_back(csv_field(g.model));
    totals_fields(f, g.totals);
    row(out, f);
  }
  return out;
}

}  // namespace hydra::metering
