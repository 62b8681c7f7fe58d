#include "files/file_set.h"

#include <boost/json.hpp>
#include <cmath>
#include <stdexcept>

#include "common/clock.h"
#include "common/error.h"
#include "common/random.h"

namespace hydra::files {
namespace {

namespace bj = boost::json;

constexpr const char* kColumns =
    "id, workspace_id, name, source, uri, options, secret, share, phase, reason, bytes_done, "
    "bytes_total, files_done, files_total, rate, checksum, local_path, manifest, created_by, "
    "created_at, updated_at";

std::string options_text(const std::map<std::string, std::string>& m) {
  bj::object o;
  for (const auto& [k, v] : m) o[k] = v;
  return bj::serialize(o);
}

std::string manifest_text(const std::vector<ManifestEntry>& entries) {
  bj::array a;
  for (const auto& e : entries) {
    a.push_back(bj::object{{"path", e.path}, {"size", e.size}, {"sha256", e.sha256}});
  }
  return bj::serialize(a);
}

// Columns written by this module only: a parse failure would be store corruption.
FileSet from_row(const store::Rows::Row& r) {
  FileSet f;
  f.id = r.str("id");
  f.workspace_id = r.str("workspace_id");
  f.name = r.str("name");
  f.source = r.str("source");
  f.uri = r.str("uri");
  // Parsed values are kept in locals: a range-for over a member of a
  // temporary would outlive the temporary.
  bj::value options = bj::parse(r.str("options"));
  for (const auto& kv : options.as_object()) {
    f.options[std::string(kv.key())] = std::string(kv.value().as_string());
  }
  f.sealed_secret = r.str("secret");
  f.share = r.boolean("share");
  f.phase = r.str("phase");
  f.reason = r.str("reason");
  f.bytes_done = r.i64("bytes_done");
  f.bytes_total = r.i64("bytes_total");
  f.files_done = r.i64("files_done");
  f.files_total = r.i64("files_total");
  f.rate = r.f64("rate");
  f.checksum = r.str("checksum");
  f.local_path = r.str("local_path");
  bj::value manifest = bj::parse(r.str("manifest"));
  for (const auto& v : manifest.as_array()) {
    const auto& o = v.as_object();
    f.manifest.push_back({std::string(o.at("path").as_string()), o.at("size").to_number<int64_t>(),
                          std::string(o.at("sha256").as_string())});
  }
  f.created_by = r.str("created_by");
  f.created_at = r.i64("created_at");
  f.updated_at = r.i64("updated_at");
  return f;
}

std::optional<FileSet> first(const store::Rows& rows) {
  if (rows.empty()) return std::nullopt;
  return from_row(rows[0]);
}

std::string select_sql(const std::string& where) {
  return std::string("SELECT ") + kColumns + " FROM model_files WHERE " + where;
}

}  // namespace

bool used_in_place(const std::string& source) {
  return source == source::kLocal || source == source::kReference;
}

void check_source(const std::string& s) {
  for (const char* known : {source::kHuggingFace, source::kModelScope, source::kHttp, source::kS3,
                            source::kGit, source::kLocal, source::kReference}) {
    if (s == known) return;
  }
  if (s == "NFS" || s == "PVC" || s == "CONDA") {
    throw_param("source " + s + " is mounted by Kubernetes clusters only", "source");
  }
  throw_param(
      "source must be one of HUGGING_FACE, MODEL_SCOPE, HTTP, S3, GIT, LOCAL, REFERENCE (got '" +
          s + "')",
      "source");
}

int64_t eta_seconds(const FileSet& f) {
  if (f.bytes_total < 0 || f.rate <= 0) return -1;
  return static_cast<int64_t>(
      std::ceil(static_cast<double>(f.bytes_total - f.bytes_done) / f.rate));
}

void seal_secret(FileSet& f, const SecretBox& box) {
  f.sealed_secret = f.secret.empty() ? "" : box.seal(f.secret);
  f.secret.clear();
}

std::string open_secret(const FileSet& f, const SecretBox& box) {
  if (f.sealed_secret.empty()) return {};
  if (!SecretBox::is_sealed(f.sealed_secret)) return f.sealed_secret;  // a row from before sealing
  return box.open(f.sealed_secret);
}

bool has_secret(const FileSet& f) {
  return !f.secret.empty() || !f.sealed_secret.empty();
}

int64_t seal_plaintext_secrets(store::Store& st, LazySecretBox& box) {
  int64_t sealed = 0;
  for (const auto& r : st.query("SELECT id, secret FROM model_files WHERE secret <> ''")) {
    std::string stored = r.str("secret");
    if (SecretBox::is_sealed(stored)) continue;
    // Only the value read is replaced: a row changed meanwhile is left for the next pass.
    sealed += st.exec("UPDATE model_files SET secret = ? WHERE id = ? AND secret = ?",
                      {box.get().seal(stored), r.str("id"), stored});
  }
  return sealed;
}

void insert_file_set(store::Session& s, FileSet& f) {
  if (!f.secret.empty() || (!f.sealed_secret.empty() && !SecretBox::is_sealed(f.sealed_secret))) {
    throw std::logic_error("a file set's secret must be sealed before it is stored");
  }
  if (f.id.empty()) f.id = new_id();
  f.created_at = f.updated_at = now_ms();
  if (!s.query("SELECT id FROM model_files WHERE workspace_id = ? AND name = ?",
               {f.workspace_id, f.name})
           .empty()) {
    throw_conflict("model files named '" + f.name + "' already exist in this workspace");
  }
  s.exec(std::string("INSERT INTO model_files (") + kColumns +
             ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
         {f.id,
          f.workspace_id,
          f.name,
          f.source,
          f.uri,
          options_text(f.options),
          f.sealed_secret,
          int64_t{f.share ? 1 : 0},
          f.phase,
          f.reason,
          f.bytes_done,
          f.bytes_total,
          f.files_done,
          f.files_total,
          f.rate,
          f.checksum,
          f.local_path,
          manifest_text(f.manifest),
          f.created_by,
          f.created_at,
          f.updated_at});
}

std::optional<FileSet> find_file_set(store::Store& st, const std::string& id) {
  return first(st.query(select_sql("id = ?"), {id}));
}

std::optional<FileSet> find_file_set(store::Session& s, const std::string& id) {
  return first(s.query(select_sql("id = ?"), {id}));
}

std::optional<FileSet> find_file_set_by_name(store::Store& st, const std::string& workspace_id,
                                             const std::string& name) {
  auto own = first(st.query(select_sql("workspace_id = ? AND name = ?"), {workspace_id, name}));
  if (own) return own;
  // A shared set of another workspace, by its name (the oldest when several share one).
  return first(
      st.query(select_sql("share = 1 AND name = ? ORDER BY created_at, id LIMIT 1"), {name}));
}

std::optional<FileSet> find_usable_file_set(store::Store& st, const std::string& ref,
                                            const std::string& workspace_id, bool admin) {
  auto f = find_file_set(st, ref);
  if (!f) f = find_file_set_by_name(st, workspace_id, ref);
  if (!f || !(admin || f->share || f->workspace_id == workspace_id)) return std::nullopt;
  return f;
}

FileSetPage list_file_sets(store::Store& st, const FileSetQuery& q) {
  std::string where = "1 = 1";
  store::Params params;
  if (!q.workspace_id.empty()) {
    where += " AND (workspace_id = ? OR share = 1)";
    params.emplace_back(q.workspace_id);
  }
  if (!q.phase.empty()) {
    where += " AND phase = ?";
    params.emplace_back(q.phase);
  }
  if (!q.source.empty()) {
    where += " AND source = ?";
    params.emplace_back(q.source);
  }
  FileSetPage page;
  page.total = st.query("SELECT COUNT(*) AS n FROM model_files WHERE " + where, params)[0].i64("n");
  params.emplace_back(q.limit);
  params.emplace_back(q.offset);
  for (const auto& r : st.query(
           select_sql(where + " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"), params)) {
    page.items.push_back(from_row(r));
  }
  return page;
}

std::vector<FileSet> list_unfinished(store::Store& st) {
  std::vector<FileSet> out;
  for (const auto& r :
       st.query(select_sql("phase IN ('PENDING', 'PROCESSING') ORDER BY created_at, id"))) {
    out.push_back(from_row(r));
  }
  return out;
}

bool save_progress(store::Store& st, const FileSet& f) {
  return st.exec(
             "UPDATE model_files SET phase = ?, reason = ?, bytes_done = ?, bytes_total = ?, "
             "files_done = ?, files_total = ?, rate = ?, checksum = ?, local_path = ?, manifest = "
             "?, "
             "updated_at = ? WHERE id = ?",
             {f.phase, f.reason, f.bytes_done, f.bytes_total, f.files_done, f.files_total, f.rate,
              f.checksum, f.local_path, manifest_text(f.manifest), now_ms(), f.id}) > 0;
}

bool save_phase(store::Store& st, const std::string& id, const std::string& ph,
                const std::string& reason) {
  return st.exec(
             "UPDATE model_files SET phase = ?, reason = ?, rate = 0, updated_at = ? WHERE id = ?",
             {ph, reason, now_ms(), id}) > 0;
}

bool delete_file_set(store::Session& s, const std::string& id) {
  s.exec("DELETE FROM model_file_uses WHERE file_set_id = ?", {id});
  return s.exec("DELETE FROM model_files WHERE id = ?", {id}) > 0;
}

int64_t count_users(store::Session& s, const std::string& id) {
  int64_t deployments =
      s.query(
           "SELECT COUNT(*) AS n FROM model_file_uses u JOIN deployments d ON d.id = "
           "u.deployment_id WHERE u.file_set_id = ? AND d.desired <> 'deleted'",
           {id})[0]
          .i64("n");
  int64_t references =
      s.query("SELECT COUNT(*) AS n FROM model_files WHERE source = 'REFERENCE' AND uri = ?",
              {id})[0]
          .i64("n");
  return deployments + references;
}

void attach_deployment(store::Session& s, const std::string& deployment_id,
                       const std::string& file_set_id) {
  s.exec("INSERT INTO model_file_uses (deployment_id, file_set_id, created_at) VALUES (?, ?, ?)",
         {deployment_id, file_set_id, now_ms()});
}

std::optional<std::string> file_set_of_deployment(store::Store& st,
                                                  const std::string& deployment_id) {
  auto rows =
      st.query("SELECT file_set_id FROM model_file_uses WHERE deployment_id = ?", {deployment_id});
  if (rows.empty()) return std::nullopt;
  return rows[0].str("file_set_id");
}

boost::json::object to_json(const FileSet& f) {
  bj::object options;
  for (const auto& [k, v] : f.options) options[k] = v;
  bj::array manifest;
  for (const auto& e : f.manifest) {
    manifest.push_back(bj::object{{"path", e.path}, {"size", e.size}, {"sha256", e.sha256}});
  }
  double percent = f.bytes_total > 0 ? 100.0 * static_cast<double>(f.bytes_done) /
                                           static_cast<double>(f.bytes_total)
                                     : (f.phase == phase::kReady ? 100.0 : 0.0);
  bj::object progress{{"bytes_done", f.bytes_done},
                      {"bytes_total", f.bytes_total},
                      {"files_done", f.files_done},
                      {"files_total", f.files_total},
                      {"percent", std::round(percent * 10) / 10},
                      {"rate_bytes_per_second", std::round(f.rate)},
                      {"eta_seconds", eta_seconds(f)}};
  return bj::object{{"id", f.id},
                    {"workspace_id", f.workspace_id},
                    {"name", f.name},
                    {"source", f.source},
                    {"uri", f.uri},
                    {"options", std::move(options)},
                    {"has_secret", has_secret(f)},
                    {"share", f.share},
                    {"phase", f.phase},
                    {"reason", f.reason},
                    {"progress", std::move(progress)},
                    {"checksum", f.checksum},
                    {"local_path", f.local_path},
                    {"files", std::move(manifest)},
                    {"created_by", f.created_by},
                    {"created_at", f.created_at},
                    {"updated_at", f.updated_at}};
}

}  // namespace hydra::files
