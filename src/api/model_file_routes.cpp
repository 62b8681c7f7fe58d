// /api/v1/model-files: model file sets (ModelFiles / Dataset, DESIGN.md §7).
// Users create sets in their workspace and see their own plus shared ones;
// administrators see all, share sets with every workspace and may use
// LOCAL paths. The file worker does the downloading; these handlers only
// write rows (with their audit events) and read progress.
#include <cctype>
#include <memory>

#include "api/auth_views.h"
#include "api/routes.h"
#include "common/error.h"
#include "common/json.h"
#include "common/secret_box.h"
#include "common/strings.h"
#include "files/file_set.h"
#include "files/file_worker.h"
#include "files/source_plan.h"

namespace hydra::api {
namespace {

namespace bj = boost::json;

// "Qwen/Qwen2.5-0.5B-Instruct" -> "qwen2-5-0-5b-instruct": a valid name
// taken from the last segment of the uri.
std::string name_from_uri(const std::string& uri) {
  std::string tail = uri;
  while (!tail.empty() && tail.back() == '/') tail.pop_back();
  tail =
      tail.substr(tail.find_last_of("/:") == std::string::npos ? 0 : tail.find_last_of("/:") + 1);
  std::string out;
  for (unsigned char c : tail) {
    bool keep = std::isalnum(c);
    if (keep) out += static_cast<char>(std::tolower(c));
    if (!keep && !out.empty() && out.back() != '-') out += '-';
    if (out.size() >= 64) break;
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.size() >= 2 ? out : "model-files";
}

files::FileSet visible(ApiContext& ctx, const auth::Caller& c, const std::string& ref) {
  auto f = files::find_usable_file_set(ctx.store, ref, c.workspace_id, c.admin());
  if (!f) throw_not_found("model files");
  return *f;
}

audit::Event files_event(const auth::Caller& c, const char* action, const files::FileSet& f) {
  audit::Event e = audit_event(c, action, "model_files", f.id);
  e.workspace_id = f.workspace_id;
  e.detail = "name=" + f.name + " source=" + f.source + " uri=" + f.uri;
  return e;
}

files::FileSet from_body(ApiContext& ctx, const auth::Caller& c, const bj::value& body) {
  json::Fields fields(body);
  files::FileSet f;
  f.source = fields.str("source");
  f.uri = fields.str("uri");
  f.name = fields.opt_str("name").value_or("");
  f.secret = fields.opt_str("secret").value_or("");
  f.share = fields.opt_bool("share").value_or(false);
  if (const bj::object* opts = fields.opt_object("options")) {
    for (const auto& kv : *opts) {
      if (!kv.value().is_string()) throw_param("options values must be strings", "options");
      f.options[std::string(kv.key())] = std::string(kv.value().get_string());
    }
  }
  fields.done();
  if (f.name.empty()) f.name = name_from_uri(f.uri);
  if (!valid_resource_name(f.name)) {
    throw_param(
        "name must be 2-64 characters of a-z, 0-9 and '-', starting and ending with a letter or "
        "digit",
        "name");
  }
  if (f.secret.size() > 4096) throw_param("secret is too long", "secret");
  files::check_file_set_request(f);
  if (f.source == files::source::kLocal && !c.admin()) {
    throw_forbidden("only administrators may use LOCAL paths");
  }
  if (f.share && !c.admin()) throw_forbidden("only administrators may share model files");
  if (f.source == files::source::kReference) {
    // Always the set that holds the bytes, so a reference never waits on another reference.
    files::FileSet target = visible(ctx, c, f.uri);
    if (target.source == files::source::kReference) target = visible(ctx, c, target.uri);
    f.uri = target.id;
  }
  f.workspace_id = c.workspace_id;
  f.created_by = c.user_id;
  return f;
}

// The secret is sealed before the row is written: the database never holds
// it in plaintext, and only the file worker opens it.
http::Response create_files(ApiContext& ctx, LazySecretBox& box, http::Request& req) {
  auth::Caller c = require_user(ctx, req);
  bj::value body = json::parse(req.body);
  files::FileSet f = from_body(ctx, c, body);
  if (!f.secret.empty()) files::seal_secret(f, box.get());
  transact_or_conflict(ctx.store, [&](store::Session& s) {
    files::insert_file_set(s, f);
    audit::record(s, files_event(c, "CreateModelFiles", f));
    s.after_commit(files::notify_file_sets_changed);
  });
  return ok(files::to_json(f), 201);
}

http::Response list_files(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_user(ctx, req);
  PageParams p = page_params(req);
  files::FileSetQuery q;
  bool all = c.admin() && req.query_param("all").value_or("") == "true";
  q.workspace_id = all ? "" : c.workspace_id;
  q.phase = req.query_param("phase").value_or("");
  q.source = req.query_param("source").value_or("");
  q.offset = p.offset();
  q.limit = p.page_size;
  auto page = files::list_file_sets(ctx.store, q);
  bj::array items;
  for (auto& f : page.items) {
    bj::object o = files::to_json(f);
    o.erase("files");  // the manifest can be long: GET one set for it
    items.push_back(std::move(o));
  }
  return ok(page_body(std::move(items), page.total, p));
}

http::Response get_files(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_user(ctx, req);
  return ok(files::to_json(visible(ctx, c, req.param("id"))));
}

void check_owner(const auth::Caller& c, const files::FileSet& f) {
  if (!c.admin() && f.workspace_id != c.workspace_id) {
    throw_forbidden("model files '" + f.name + "' belong to another workspace");
  }
}

http::Response delete_files(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_user(ctx, req);
  files::FileSet f = visible(ctx, c, req.param("id"));
  check_owner(c, f);
  ctx.store.transact([&](store::Session& s) {
    if (int64_t users = files::count_users(s, f.id); users > 0) {
      throw_conflict("model files '" + f.name + "' are used by " + std::to_string(users) +
                     " deployment(s) or reference(s); delete those first");
    }
    if (!files::delete_file_set(s, f.id)) throw_not_found("model files");
    audit::record(s, files_event(c, "DeleteModelFiles", f));
    std::string data_dir = ctx.config.data_dir;
    s.after_commit([data_dir, f] {
      files::remove_set_files(data_dir, f);
      files::notify_file_sets_changed();
    });
  });
  return http::Response::no_content();
}

// A FAILED set is queued again; its .part files let it continue.
http::Response retry_files(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_user(ctx, req);
  files::FileSet f = visible(ctx, c, req.param("id"));
  check_owner(c, f);
  if (f.phase != files::phase::kFailed) {
    throw_conflict("model files '" + f.name + "' are " + f.phase +
                   "; only FAILED ones are retried");
  }
  ctx.store.transact([&](store::Session& s) {
    s.exec("UPDATE model_files SET phase = 'PENDING', reason = 'queued again' WHERE id = ?",
           {f.id});
    audit::record(s, files_event(c, "RetryModelFiles", f));
    s.after_commit(files::notify_file_sets_changed);
  });
  return ok(files::to_json(*files::find_file_set(ctx.store, f.id)));
}

}  // namespace

void register_model_file_routes(http::Router& r, ApiContext& ctx) {
  auto bind = [&ctx](http::Response (*fn)(ApiContext&, http::Request&)) {
    return [&ctx, fn](http::Request& req) { return fn(ctx, req); };
  };
  // Shared by the handlers for the server's lifetime; the key is set up on first use.
  auto box = std::make_shared<LazySecretBox>(ctx.config);
  r.add(
      "POST", "/api/v1/model-files",
      [&ctx, box](http::Request& req) { return create_files(ctx, *box, req); },
      "Add a model file set {source, uri, name, options, secret, share}; it downloads in the "
      "background");
  r.add(
      "GET", "/api/v1/model-files", bind(list_files),
      "List model file sets: your workspace's and shared ones (?phase=&source=; admin: ?all=true)");
  r.add("GET", "/api/v1/model-files/{id}", bind(get_files),
        "Get a model file set (by id or name): phase, progress (bytes, rate, ETA) and files");
  r.add("DELETE", "/api/v1/model-files/{id}", bind(delete_files),
        "Delete a model file set and its downloaded files (409 while deployments use it)");
  r.add("POST", "/api/v1/model-files/{id}/retry", bind(retry_files),
        "Queue a FAILED model file set again (it continues from its partial files)");
}

}  // namespace hydra::api
