#include "moderation/rule_store.h"

#include <atomic>

#include "common/clock.h"
#include "common/error.h"
#include "common/random.h"

namespace hydra::moderation {
namespace {

constexpr const char* kColumns =
    "id, workspace_id, kind, pattern, direction, description, enabled, created_at, updated_at";

std::atomic<uint64_t> g_rules_version{1};

ModerationRule from_row(const store::Rows::Row& row) {
  ModerationRule r;
  r.id = row.str("id");
  r.workspace_id = row.str("workspace_id");
  r.kind = row.str("kind");
  r.pattern = row.str("pattern");
  r.direction = row.str("direction");
  r.description = row.str("description");
  r.enabled = row.boolean("enabled");
  r.created_at = row.i64("created_at");
  r.updated_at = row.i64("updated_at");
  return r;
}

std::optional<ModerationRule> find_rule(store::Session& s, const std::string& id) {
  auto rows =
      s.query(std::string("SELECT ") + kColumns + " FROM moderation_rules WHERE id = ?", {id});
  if (rows.empty()) return std::nullopt;
  return from_row(rows[0]);
}

void record_change(store::Session& s, const audit::Event& actor, const char* action,
                   const ModerationRule& r) {
  audit::Event e = actor;
  e.id.clear();
  e.time = 0;
  e.action = action;
  e.resource_type = "moderation_rule";
  e.resource_id = r.id;
  if (!r.workspace_id.empty()) e.workspace_id = r.workspace_id;
  audit::record(s, std::move(e));
  s.after_commit([] { g_rules_version.fetch_add(1, std::memory_order_acq_rel); });
}

}  // namespace

uint64_t rules_version() {
  return g_rules_version.load(std::memory_order_acquire);
}

std::vector<ModerationRule> list_rules(store::Store& st) {
  std::vector<ModerationRule> out;
  auto rows = st.query(std::string("SELECT ") + kColumns +
                       " FROM moderation_rules ORDER BY created_at, id");
  for (auto row : rows) out.push_back(from_row(row));
  return out;
}

ModerationRule get_rule(store::Store& st, const std::string& id) {
  std::optional<ModerationRule> r;
  st.transact([&](store::Session& s) { r = find_rule(s, id); });
  if (!r) throw_not_found("moderation rule '" + id + "'");
  return *r;
}

ModerationRule create_rule(store::Store& st, ModerationRule r, const audit::Event& actor) {
  validate_rule(r);
  r.id = new_id();
  r.created_at = r.updated_at = now_ms();
  st.transact([&](store::Session& s) {
    if (!r.workspace_id.empty() &&
        s.query("SELECT id FROM workspaces WHERE id = ?", {r.workspace_id}).empty()) {
      throw ApiError(ErrorCode::kNotFound, "workspace '" + r.workspace_id + "' not found",
                     "workspace_id");
    }
    s.exec("INSERT INTO moderation_rules (" + std::string(kColumns) +
               ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
           {r.id, r.workspace_id, r.kind, r.pattern, r.direction, r.description, int64_t{r.enabled},
            r.created_at, r.updated_at});
    record_change(s, actor, "CreateModerationRule", r);
  });
  return r;
}

ModerationRule update_rule(store::Store& st, const std::string& id, const boost::json::value& patch,
                           const audit::Event& actor) {
  ModerationRule r;
  st.transact([&](store::Session& s) {
    auto found = find_rule(s, id);
    if (!found) throw_not_found("moderation rule '" + id + "'");
    r = *found;
    apply_rule_patch(r, patch);
    r.updated_at = now_ms();
    s.exec(
        "UPDATE moderation_rules SET pattern = ?, direction = ?, description = ?, enabled = ?, "
        "updated_at = ? WHERE id = ?",
        {r.pattern, r.direction, r.description, int64_t{r.enabled}, r.updated_at, r.id});
    record_change(s, actor, "UpdateModerationRule", r);
  });
  return r;
}

void delete_rule(store::Store& st, const std::string& id, const audit::Event& actor) {
  st.transact([&](store::Session& s) {
    auto found = find_rule(s, id);
    if (!found) throw_not_found("moderation rule '" + id + "'");
    s.exec("DELETE FROM moderation_rules WHERE id = ?", {id});
    record_change(s, actor, "DeleteModerationRule", *found);
  });
}

}  // namespace hydra::moderation
