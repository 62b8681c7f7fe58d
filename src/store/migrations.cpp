#include "store/migrations.h"

#include "common/clock.h"
#include "common/strings.h"

namespace hydra::store {

namespace {

// usage_records' columns after `id` as migration 2 created them, in that
// order; migration 10 copies the table into the same columns. Never edit
// this: a change of schema is a new migration.
constexpr const char* kUsageRecordColumns = R"SQL(
  time BIGINT NOT NULL,
  request_id TEXT NOT NULL DEFAULT '',
  workspace_id TEXT NOT NULL DEFAULT '',
  user_id TEXT NOT NULL DEFAULT '',
  key_id TEXT NOT NULL DEFAULT '',
  model TEXT NOT NULL DEFAULT '',
  upstream TEXT NOT NULL DEFAULT '',
  prompt_tokens BIGINT NOT NULL DEFAULT 0,
  completion_tokens BIGINT NOT NULL DEFAULT 0,
  cached_tokens BIGINT NOT NULL DEFAULT 0,
  cost DOUBLE PRECISION NOT NULL DEFAULT 0,
  status BIGINT NOT NULL DEFAULT 0,
  error_code BIGINT NOT NULL DEFAULT 0,
  latency_ms BIGINT NOT NULL DEFAULT 0,
  ttft_ms BIGINT NOT NULL DEFAULT 0,
  stream BIGINT NOT NULL DEFAULT 0
)SQL";

}  // namespace

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> all = {
      {1, "foundation", R"SQL(
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL,
  disabled BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  last_login_at BIGINT
);
CREATE TABLE workspaces (
  id TEXT PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE memberships (
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX memberships_user ON memberships(user_id);
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  source_ip TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  masked TEXT NOT NULL,
  allowed_models TEXT NOT NULL DEFAULT '[]',
  rate_limits TEXT NOT NULL DEFAULT '[]',
  expires_at BIGINT,
  disabled BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT
);
CREATE INDEX api_keys_user ON api_keys(user_id);
CREATE INDEX api_keys_workspace ON api_keys(workspace_id);
CREATE TABLE providers (
  id TEXT PRIMARY KEY,
  name_en TEXT NOT NULL,
  name_zh TEXT NOT NULL DEFAULT '',
  icon TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE models (
  id TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  description_en TEXT NOT NULL DEFAULT '',
  description_zh TEXT NOT NULL DEFAULT '',
  provider_id TEXT NOT NULL DEFAULT '',
  icon TEXT NOT NULL DEFAULT '',
  links TEXT NOT NULL DEFAULT '[]',
  sources TEXT NOT NULL DEFAULT '{}',
  config TEXT NOT NULL DEFAULT '{}',
  deployments TEXT NOT NULL DEFAULT '[]',
  published BIGINT NOT NULL DEFAULT 0,
  price_input DOUBLE PRECISION NOT NULL DEFAULT 0,
  price_output DOUBLE PRECISION NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX models_provider ON models(provider_id);
CREATE TABLE model_tags (
  model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  PRIMARY KEY (model_id, tag)
);
CREATE INDEX model_tags_tag ON model_tags(tag);
CREATE TABLE maas_models (
  id TEXT PRIMARY KEY,
  model_id TEXT NOT NULL DEFAULT '',
  display_name TEXT NOT NULL DEFAULT '',
  endpoints TEXT NOT NULL DEFAULT '[]',
  lb_policy TEXT NOT NULL DEFAULT 'round_robin',
  rate_limits TEXT NOT NULL DEFAULT '[]',
  enabled BIGINT NOT NULL DEFAULT 0,
  entry_cluster TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE runtime_templates (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  display_en TEXT NOT NULL DEFAULT '',
  display_zh TEXT NOT NULL DEFAULT '',
  command TEXT NOT NULL DEFAULT '',
  args TEXT NOT NULL DEFAULT '[]',
  env TEXT NOT NULL DEFAULT '{}',
  images TEXT NOT NULL DEFAULT '{}',
  executable TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE deployment_templates (
  id TEXT PRIMARY KEY,
  model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  resources TEXT NOT NULL DEFAULT '{}',
  runtime TEXT NOT NULL,
  runtime_version TEXT NOT NULL DEFAULT '',
  max_model_len BIGINT NOT NULL DEFAULT 0,
  custom_args TEXT NOT NULL DEFAULT '[]',
  env TEXT NOT NULL DEFAULT '{}',
  distributed TEXT NOT NULL DEFAULT '{}',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (model_id, name)
);
CREATE TABLE audit_events (
  id TEXT PRIMARY KEY,
  time BIGINT NOT NULL,
  actor_id TEXT NOT NULL DEFAULT '',
  actor_name TEXT NOT NULL DEFAULT '',
  workspace_id TEXT NOT NULL DEFAULT '',
  action TEXT NOT NULL,
  resource_type TEXT NOT NULL DEFAULT '',
  resource_id TEXT NOT NULL DEFAULT '',
  result TEXT NOT NULL DEFAULT 'success',
  detail TEXT NOT NULL DEFAULT '',
  source_ip TEXT NOT NULL DEFAULT '',
  request_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_time ON audit_events(time);
CREATE INDEX audit_events_action ON audit_events(action);
CREATE INDEX audit_events_actor ON audit_events(actor_name);
)SQL"},
      {2, "usage_records",
       R"SQL(
CREATE TABLE usage_records (
  id TEXT PRIMARY KEY,)SQL" +
           std::string(kUsageRecordColumns) + R"SQL();
CREATE INDEX usage_records_time ON usage_records(time);
CREATE INDEX usage_records_key ON usage_records(key_id, time);
CREATE INDEX usage_records_model ON usage_records(model, time);
CREATE INDEX usage_records_workspace ON usage_records(workspace_id, time);
)SQL"},
      {3, "limits_and_quotas", R"SQL(
CREATE TABLE limit_rules (
  id TEXT PRIMARY KEY,
  scope TEXT NOT NULL,
  metric TEXT NOT NULL,
  workspace_id TEXT NOT NULL DEFAULT '',
  key_id TEXT NOT NULL DEFAULT '',
  model TEXT NOT NULL DEFAULT '',
  limit_value BIGINT NOT NULL,
  window_seconds BIGINT NOT NULL DEFAULT 0,
  description TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE quotas (
  id TEXT PRIMARY KEY,
  scope TEXT NOT NULL,
  metric TEXT NOT NULL,
  period TEXT NOT NULL,
  workspace_id TEXT NOT NULL DEFAULT '',
  key_id TEXT NOT NULL DEFAULT '',
  user_id TEXT NOT NULL DEFAULT '',
  model TEXT NOT NULL DEFAULT '',
  budget DOUBLE PRECISION NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE quota_usage (
  quota_id TEXT NOT NULL,
  subject TEXT NOT NULL,
  period_start BIGINT NOT NULL,
  tokens BIGINT NOT NULL DEFAULT 0,
  cost DOUBLE PRECISION NOT NULL DEFAULT 0,
  PRIMARY KEY (quota_id, subject, period_start)
);
)SQL"},
      {4, "usage_rollups", R"SQL(
CREATE TABLE usage_rollups (
  granularity TEXT NOT NULL,
  bucket BIGINT NOT NULL,
  workspace_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  model TEXT NOT NULL,
  calls BIGINT NOT NULL DEFAULT 0,
  failures BIGINT NOT NULL DEFAULT 0,
  aborted BIGINT NOT NULL DEFAULT 0,
  prompt_tokens BIGINT NOT NULL DEFAULT 0,
  completion_tokens BIGINT NOT NULL DEFAULT 0,
  cached_tokens BIGINT NOT NULL DEFAULT 0,
  cost DOUBLE PRECISION NOT NULL DEFAULT 0,
  PRIMARY KEY (granularity, bucket, workspace_id, key_id, model)
);
CREATE INDEX usage_rollups_workspace ON usage_rollups(workspace_id, granularity, bucket);
CREATE INDEX usage_records_status ON usage_records(status, time);
INSERT INTO usage_rollups (granularity, bucket, workspace_id, key_id, model, calls, failures,
  aborted, prompt_tokens, completion_tokens, cached_tokens, cost)
SELECT 'minute', (time / 60000) * 60000, workspace_id, key_id, model, COUNT(*),
  SUM(CASE WHEN status >= 400 AND status <> 499 THEN 1 ELSE 0 END),
  SUM(CASE WHEN status = 499 THEN 1 ELSE 0 END), SUM(prompt_tokens), SUM(completion_tokens),
  SUM(cached_tokens), SUM(cost)
FROM usage_records GROUP BY (time / 60000) * 60000, workspace_id, key_id, model;
INSERT INTO usage_rollups (granularity, bucket, workspace_id, key_id, model, calls, failures,
  aborted, prompt_tokens, completion_tokens, cached_tokens, cost)
SELECT 'hour', (time / 3600000) * 3600000, workspace_id, key_id, model, COUNT(*),
  SUM(CASE WHEN status >= 400 AND status <> 499 THEN 1 ELSE 0 END),
  SUM(CASE WHEN status = 499 THEN 1 ELSE 0 END), SUM(prompt_tokens), SUM(completion_tokens),
  SUM(cached_tokens), SUM(cost)
FROM usage_records GROUP BY (time / 3600000) * 3600000, workspace_id, key_id, model;
INSERT INTO usage_rollups (granularity, bucket, workspace_id, key_id, model, calls, failures,
  aborted, prompt_tokens, completion_tokens, cached_tokens, cost)
SELECT 'day', (time / 86400000) * 86400000, workspace_id, key_id, model, COUNT(*),
  SUM(CASE WHEN status >= 400 AND status <> 499 THEN 1 ELSE 0 END),
  SUM(CASE WHEN status = 499 THEN 1 ELSE 0 END), SUM(prompt_tokens), SUM(completion_tokens),
  SUM(cached_tokens), SUM(cost)
FROM usage_records GROUP BY (time / 86400000) * 86400000, workspace_id, key_id, model;
)SQL"},
      {5, "deployments", R"SQL(
CREATE TABLE deployments (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  access_name TEXT NOT NULL UNIQUE,
  service_id TEXT NOT NULL,
  model_id TEXT NOT NULL DEFAULT '',
  template_id TEXT NOT NULL DEFAULT '',
  runtime TEXT NOT NULL,
  model_path TEXT NOT NULL DEFAULT '',
  served_model_name TEXT NOT NULL,
  replicas BIGINT NOT NULL,
  cluster TEXT NOT NULL,
  namespace TEXT NOT NULL,
  desired TEXT NOT NULL,
  state TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  generation BIGINT NOT NULL DEFAULT 1,
  custom_args TEXT NOT NULL DEFAULT '[]',
  env TEXT NOT NULL DEFAULT '{}',
  cpu DOUBLE PRECISION NOT NULL DEFAULT 0,
  memory DOUBLE PRECISION NOT NULL DEFAULT 0,
  created_by TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (workspace_id, name)
);
CREATE TABLE deployment_replicas (
  deployment_id TEXT NOT NULL,
  idx BIGINT NOT NULL,
  state TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  pid BIGINT NOT NULL DEFAULT 0,
  port BIGINT NOT NULL DEFAULT 0,
  endpoint TEXT NOT NULL DEFAULT '',
  start_token TEXT NOT NULL DEFAULT '',
  restarts BIGINT NOT NULL DEFAULT 0,
  log_path TEXT NOT NULL DEFAULT '',
  generation BIGINT NOT NULL DEFAULT 0,
  ready BIGINT NOT NULL DEFAULT 0,
  started_at BIGINT NOT NULL DEFAULT 0,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (deployment_id, idx)
);
CREATE TABLE deployment_events (
  id TEXT PRIMARY KEY,
  deployment_id TEXT NOT NULL,
  time BIGINT NOT NULL,
  type TEXT NOT NULL,
  reason TEXT NOT NULL,
  message TEXT NOT NULL
);
CREATE INDEX deployment_events_deployment ON deployment_events(deployment_id, time);
)SQL"},
      {6, "moderation_rules", R"SQL(
CREATE TABLE moderation_rules (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL,
  pattern TEXT NOT NULL,
  direction TEXT NOT NULL DEFAULT 'both',
  description TEXT NOT NULL DEFAULT '',
  enabled BIGINT NOT NULL DEFAULT 1,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX moderation_rules_workspace ON moderation_rules(workspace_id);
)SQL"},
      {7, "clusters", R"SQL(
CREATE TABLE clusters (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  region TEXT NOT NULL DEFAULT '',
  backend TEXT NOT NULL,
  gateway_url TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  token_hash TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL,
  agent_host TEXT NOT NULL DEFAULT '',
  agent_version TEXT NOT NULL DEFAULT '',
  heartbeat_ms BIGINT NOT NULL DEFAULT 5000,
  last_heartbeat_at BIGINT NOT NULL DEFAULT 0,
  cpu DOUBLE PRECISION NOT NULL DEFAULT 0,
  memory DOUBLE PRECISION NOT NULL DEFAULT 0,
  gpus TEXT NOT NULL DEFAULT '[]',
  created_by TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
)SQL"},
      {8, "model_files", R"SQL(
CREATE TABLE model_files (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  source TEXT NOT NULL,
  uri TEXT NOT NULL,
  options TEXT NOT NULL DEFAULT '{}',
  secret TEXT NOT NULL DEFAULT '',
  share BIGINT NOT NULL DEFAULT 0,
  phase TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  bytes_done BIGINT NOT NULL DEFAULT 0,
  bytes_total BIGINT NOT NULL DEFAULT -1,
  files_done BIGINT NOT NULL DEFAULT 0,
  files_total BIGINT NOT NULL DEFAULT -1,
  rate DOUBLE PRECISION NOT NULL DEFAULT 0,
  checksum TEXT NOT NULL DEFAULT '',
  local_path TEXT NOT NULL DEFAULT '',
  manifest TEXT NOT NULL DEFAULT '[]',
  created_by TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (workspace_id, name)
);
CREATE INDEX model_files_phase ON model_files(phase);
CREATE TABLE model_file_uses (
  deployment_id TEXT PRIMARY KEY,
  file_set_id TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX model_file_uses_set ON model_file_uses(file_set_id);
)SQL"},
      // Every index on usage_records is written by every request; these two
      // served only the record list filtered by model or status, which the
      // time index serves too (totals come from usage_rollups).
      {9, "usage_records_fewer_indexes", R"SQL(
DROP INDEX IF EXISTS usage_records_status;
DROP INDEX IF EXISTS usage_records_model;
)SQL"},
      // A usage id is unique by construction (its time and 40 random bits),
      // and nothing looks a record up by it. The unique index behind the
      // primary key was one more b-tree written by every request (15% of
      // the metering writer's time), and a collision would have refused a
      // whole batch of records. Neither engine drops a primary key in place
      // portably, so the table is copied.
      {10, "usage_records_without_id_index",
       R"SQL(
CREATE TABLE usage_records_next (
  id TEXT NOT NULL,)SQL" +
           std::string(kUsageRecordColumns) + R"SQL();
INSERT INTO usage_records_next SELECT * FROM usage_records;
DROP TABLE usage_records;
ALTER TABLE usage_records_next RENAME TO usage_records;
CREATE INDEX usage_records_time ON usage_records(time);
CREATE INDEX usage_records_key ON usage_records(key_id, time);
CREATE INDEX usage_records_workspace ON usage_records(workspace_id, time);
)SQL"},
      // The per-key and per-workspace indexes on usage_records were two of
      // the three b-trees every request wrote (45% of the metering writer's
      // SQLite time). Queries for one key or workspace now find their
      // minutes in the rollups (metering/record_spans.h), which are written
      // once per batch and group: the rollups get the key index instead.
      {11, "usage_records_time_index_only", R"SQL(
DROP INDEX IF EXISTS usage_records_key;
DROP INDEX IF EXISTS usage_records_workspace;
CREATE INDEX usage_rollups_key ON usage_rollups(key_id, granularity, bucket);
)SQL"},
  };
  return all;
}

void apply_migrations(Store& store) {
  store.transact([](Session& s) {
    s.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT "
        "NULL, "
        "applied_at BIGINT NOT NULL)");
  });
  for (const auto& m : migrations()) {
    store.transact([&](Session& s) {
      // Re-checked inside the transaction so two processes starting at once apply it once.
      if (!s.query("SELECT version FROM schema_migrations WHERE version = ?", {int64_t{m.version}})
               .empty()) {
        return;
      }
      for (const auto& stmt : split(m.sql, ';')) {
        if (trim(stmt).empty()) continue;
        s.exec(stmt);
      }
      s.exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
             {int64_t{m.version}, m.name, now_ms()});
    });
  }
}

}  // namespace hydra::store
