#include "audit/audit.h"

#include <algorithm>
#include <initializer_list>
#include <string_view>

#include "common/clock.h"
#include "common/random.h"
#include "common/strings.h"

namespace hydra::audit {
namespace {

constexpr const char* kColumns =
    "id, time, actor_id, actor_name, workspace_id, action, resource_type, resource_id, result, "
    "detail, source_ip, request_id";

// The WHERE clause for a query's filters; empty filters match everything.
struct Filter {
  std::string where;
  store::Params params;

  void equals(const char* column, const std::string& value) {
    if (value.empty()) return;
    add(std::string(column) + " = ?", value);
  }
  void add(std::string condition, store::Value value) {
    where += where.empty() ? " WHERE " : " AND ";
    where += condition;
    params.push_back(std::move(value));
  }
};

Filter filter_for(const Query& q) {
  Filter f;
  f.equals("actor_name", q.actor);
  f.equals("actor_id", q.actor_id);
  f.equals("action", q.action);
  f.equals("resource_type", q.resource_type);
  f.equals("resource_id", q.resource_id);
  f.equals("workspace_id", q.workspace_id);
  if (q.since_ms >= 0) f.add("time >= ?", q.since_ms);
  if (q.until_ms >= 0) f.add("time <= ?", q.until_ms);
  return f;
}

Event event_from(const store::Rows::Row& r) {
  Event e;
  e.id = r.str("id");
  e.time = r.i64("time");
  e.actor_id = r.str("actor_id");
  e.actor_name = r.str("actor_name");
  e.workspace_id = r.str("workspace_id");
  e.action = r.str("action");
  e.resource_type = r.str("resource_type");
  e.resource_id = r.str("resource_id");
  e.result = r.str("result");
  e.detail = r.str("detail");
  e.source_ip = r.str("source_ip");
  e.request_id = r.str("request_id");
  return e;
}

// RFC 4180: comma-separated, quoted where needed, lines end in CRLF.
void append_csv_line(std::string& out, std::initializer_list<std::string_view> cells) {
  bool first = true;
  for (std::string_view cell : cells) {
    if (!first) out += ',';
    first = false;
    out += csv_field(cell);
  }
  out += "\r\n";
}

}  // namespace

void record(store::Session& s, Event e) {
  if (e.id.empty()) e.id = new_id();
  if (e.time == 0) e.time = now_ms();
  s.exec(std::string("INSERT INTO audit_events (") + kColumns +
             ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
         {e.id, e.time, e.actor_id, e.actor_name, e.workspace_id, e.action, e.resource_type,
          e.resource_id, e.result, e.detail, e.source_ip, e.request_id});
}

Page query(store::Store& st, const Query& q) {
  Filter f = filter_for(q);
  Page page;
  page.total = st.query("SELECT COUNT(*) AS n FROM audit_events" + f.where, f.params)[0].i64("n");
  store::Params params = f.params;
  params.emplace_back(std::max<int64_t>(q.limit, 0));
  params.emplace_back(std::max<int64_t>(q.offset, 0));
  auto rows = st.query(std::string("SELECT ") + kColumns + " FROM audit_events" + f.where +
                           " ORDER BY time DESC, id DESC LIMIT ? OFFSET ?",
                       params);
  page.items.reserve(rows.size());
  for (auto r : rows) page.items.push_back(event_from(r));
  return page;
}

std::string to_csv(const std::vector<Event>& events) {
  std::string out;
  append_csv_line(out,
                  {"id", "time", "actor_id", "actor", "workspace_id", "action", "resource_type",
                   "resource_id", "result", "detail", "source_ip", "request_id"});
  for (const auto& e : events) {
    // The time as RFC 3339 so that people and spreadsheets can read it.
    append_csv_line(
        out, {e.id, format_time_ms(e.time), e.actor_id, e.actor_name, e.workspace_id, e.action,
              e.resource_type, e.resource_id, e.result, e.detail, e.source_ip, e.request_id});
  }
  return out;
}

}  // namespace hydra::audit
