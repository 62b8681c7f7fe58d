// /api/v1/deployments: model services in a workspace (DESIGN.md §§3, 5).
// Users see and change the deployments of the workspaces they belong to;
// administrators see all. Every change commits with its audit event and
// then nudges the local agent, which does the work.
#include <filesystem>
#include <fstream>

#include "api/auth_views.h"
#include "api/routes.h"
#include "auth/workspaces.h"
#include "catalog/deployment_template.h"
#include "catalog/model_store.h"
#include "catalog/runtime_template.h"
#include "common/error.h"
#include "common/json.h"
#include "common/strings.h"
#include "deploy/capacity.h"
#include "deploy/change_signal.h"
#include "deploy/cluster.h"
#include "deploy/deployment.h"
#include "files/file_set.h"
#include "files/set_download.h"

namespace hydra::api {
namespace {

namespace bj = boost::json;

constexpr int64_t kMaxReplicas = 64;
constexpr int64_t kMaxLogBytes = 1 << 20;

bool may_see(ApiContext& ctx, const auth::Caller& c, const deploy::Deployment& d) {
  if (c.admin() || d.workspace_id == c.workspace_id) return true;
  return !auth::member_role(ctx.store, d.workspace_id, c.user_id).empty();
}

// By id, or by name in the caller's workspace (what the CLI sends).
deploy::Deployment visible(ApiContext& ctx, const auth::Caller& c, const std::string& ref) {
  auto d = deploy::find_deployment(ctx.store, ref);
  if (!d) d = deploy::find_deployment_by_name(ctx.store, c.workspace_id, ref);
  if (!d || d->desired == deploy::desired::kDeleted || !may_see(ctx, c, *d)) {
    throw_not_found("deployment");
  }
  return *d;
}

std::string base_url(ApiContext& ctx, const http::Request& req) {
  const std::string* host = req.header("host");
  if (host && !host->empty()) {
    return std::string(ctx.config.tls_cert.empty() ? "http://" : "https://") + *host;
  }
  return ctx.config.base_url();
}

// Ready-made client snippets with the real base URL and access name.
bj::object usage_examples(const std::string& base, const std::string& model) {
  std::string curl =
      "curl " + base + "/v1/chat/completions \\\n  -H \"Authorization: Bearer " +
      "$HYDRA_API_KEY\" \\\n  -H \"Content-Type: application/json\" \\\n  -d '{\"model\": \"" +
      model + "\", \"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}]}'";
  std::string python = "from openai import OpenAI\n\nclient = OpenAI(base_url=\"" + base +
                       "/v1\", api_key=os.environ[\"HYDRA_API_KEY\"])\nreply = "
                       "client.chat.completions.create(\n    model=\"" +
                       model +
                       "\",\n    messages=[{\"role\": \"user\", \"content\": \"Hello\"}],\n)\n"
                       "print(reply.choices[0].message.content)\n";
  python = "import os\n" + python;
  std::string node = "import OpenAI from 'openai';\n\nconst client = new OpenAI({ baseURL: '" +
                     base +
                     "/v1', apiKey: process.env.HYDRA_API_KEY });\nconst reply = await "
                     "client.chat.completions.create({\n  model: '" +
                     model +
                     "',\n  messages: [{ role: 'user', content: 'Hello' }],\n});\n"
                     "console.log(reply.choices[0].message.content);\n";
  return bj::object{{"base_url", base + "/v1"}, {"curl", curl}, {"python", python}, {"node", node}};
}

bj::object detail(ApiContext& ctx, const http::Request& req, const deploy::Deployment& d) {
  bj::object o = deploy::to_json(d);
  bj::array replicas;
  int64_t ready = 0;
  for (const auto& r : deploy::list_replicas(ctx.store, d.id)) {
    ready += r.ready ? 1 : 0;
    replicas.push_back(deploy::to_json(r));
  }
  o["ready_replicas"] = ready;
  o["replica_status"] = std::move(replicas);
  bj::array events;
  for (const auto& e : deploy::list_events(ctx.store, d.id, 50))
    events.push_back(deploy::to_json(e));
  o["events"] = std::move(events);
  o["examples"] = usage_examples(base_url(ctx, req), d.access_name);
  if (auto files_id = files::file_set_of_deployment(ctx.store, d.id)) o["model_files"] = *files_id;
  return o;
}

// The deployment loads the files of a set; the agent's file check waits for them.
void use_model_files(ApiContext& ctx, const auth::Caller& c, deploy::Deployment& d,
                     const std::string& ref) {
  if (!d.model_path.empty()) throw_param("give model_path or model_files, not both", "model_files");
  auto set = files::find_usable_file_set(ctx.store, ref, c.workspace_id, c.admin());
  if (!set)
    throw ApiError(ErrorCode::kNotFound, "model files '" + ref + "' not found", "model_files");
  d.model_files_id = set->id;
  // Until the set is READY this is where its files will be; the agent
  // starts replicas on the path the file check finds.
  if (!set->local_path.empty()) {
    d.model_path = files::model_path_of(*set);
  } else if (set->source == files::source::kLocal) {
    d.model_path = set->uri;
  } else {
    d.model_path =
        std::filesystem::absolute(ctx.config.data_dir + "/model-files/" + set->id).string();
  }
}

std::string target_workspace(ApiContext& ctx, const auth::Caller& c,
                             const std::optional<std::string>& ref) {
  if (!ref) return c.workspace_id;
  auto w = auth::find_workspace_by_ref(ctx.store, *ref);
  if (!w) throw ApiError(ErrorCode::kNotFound, "workspace not found", "workspace_id");
  if (!c.admin() && auth::member_role(ctx.store, w->id, c.user_id).empty()) {
    throw ApiError(ErrorCode::kNotFound, "workspace not found", "workspace_id");
  }
  return w->id;
}

void check_replicas(int64_t n) {
  if (n < 0 || n > kMaxReplicas) {
    throw_param("replicas must be between 0 and " + std::to_string(kMaxReplicas), "replicas");
  }
}

// Fills runtime, args, env and resources from a deployment template.
void apply_template(ApiContext& ctx, deploy::Deployment& d) {
  auto t = catalog::get_deployment_template(ctx.store, d.template_id);
  if (!d.model_id.empty() && d.model_id != t.model_id) {
    throw_param("template '" + d.template_id + "' belongs to model '" + t.model_id + "'",
                "template");
  }
  d.model_id = t.model_id;
  d.runtime = t.runtime;
  d.custom_args.insert(d.custom_args.begin(), t.custom_args.begin(), t.custom_args.end());
  for (const auto& [k, v] : t.env) d.env.emplace(k, v);
  d.cpu = t.resources.cpu;
  d.memory = t.resources.memory;
}

deploy::Deployment deployment_from_body(ApiContext& ctx, const auth::Caller& c,
                                        const bj::value& body) {
  json::Fields f(body);
  deploy::Deployment d;
  d.name = f.str("name");
  d.model_id = f.opt_str("model").value_or("");
  d.template_id = f.opt_str("template").value_or("");
  d.model_path = f.opt_str("model_path").value_or("");
  auto runtime = f.opt_str("runtime");
  d.replicas = f.opt_i64("replicas").value_or(1);
  d.cluster = f.opt_str("cluster").value_or("local");
  d.name_space = f.opt_str("namespace").value_or("default");
  d.served_model_name = f.opt_str("served_model_name").value_or("");
  d.custom_args = f.opt_str_list("custom_args").value_or(std::vector<std::string>{});
  if (const bj::object* env = f.opt_object("env")) {
    for (const auto& kv : *env) {
      if (!kv.value().is_string()) throw_param("env values must be strings", "env");
      d.env[std::string(kv.key())] = std::string(kv.value().get_string());
    }
  }
  const bj::value* resources = f.opt_value("resources");
  auto workspace = f.opt_str("workspace_id");
  auto model_files = f.opt_str("model_files");
  f.done();
  if (model_files) use_model_files(ctx, c, d, *model_files);
  if (d.model_path.empty()) {
    throw_param(
        "model_path (a local model file or directory) or model_files (a file set) is required",
        "model_path");
  }
  deploy::check_deployment_name(d.name);
  check_replicas(d.replicas);
  if (!valid_resource_name(d.name_space)) throw_param("namespace is not a valid name", "namespace");
  if (!d.template_id.empty()) apply_template(ctx, d);
  if (runtime) d.runtime = *runtime;
  if (resources) {
    json::Fields rf(*resources, "resources");
    d.cpu = rf.opt_f64("cpu").value_or(d.cpu);
    d.memory = rf.opt_f64("memory").value_or(d.memory);
    rf.done();
  }
  if (d.cpu < 0 || d.memory < 0) throw_param("resources must not be negative", "resources");
  if (!d.model_id.empty()) catalog::get_model(ctx.store, d.model_id);  // 404 when unknown
  if (d.cluster != deploy::kLocalCluster && !deploy::find_cluster(ctx.store, d.cluster)) {
    throw_param("cluster '" + d.cluster + "' is unknown", "cluster");
  }
  // Source URIs (huggingface://, s3://, ...) become a Dataset on Kubernetes clusters.
  if (!std::filesystem::path(d.model_path).is_absolute() &&
      d.model_path.find("://") == std::string::npos) {
    throw_param("model_path must be an absolute path or a source URI", "model_path");
  }
  if (d.served_model_name.empty()) d.served_model_name = d.model_id.empty() ? d.name : d.model_id;
  d.workspace_id = target_workspace(ctx, c, workspace);
  d.created_by = c.user_id;
  return d;
}

audit::Event deployment_event(const auth::Caller& c, const char* action,
                              const deploy::Deployment& d, std::string detail) {
  audit::Event e = audit_event(c, action, "deployment", d.id);
  e.workspace_id = d.workspace_id;
  e.detail = "name=" + d.name + " " + detail;
  return e;
}

http::Response create_deployment(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_user(ctx, req);
  bj::value body = json::parse(req.body);
  deploy::Deployment d = deployment_from_body(ctx, c, body);
  deploy::check_fits(ctx.store, d, d.replicas, deploy::schedulable_capacity(ctx.store, d.cluster));
  transact_or_conflict(ctx.store, [&](store::Session& s) {
    if (!catalog::find_runtime_template(s, d.runtime)) {
      throw ApiError(ErrorCode::kParamError, "runtime '" + d.runtime + "' has no runtime template",
                     "runtime");
    }
    deploy::insert_deployment(s, d);
    if (!d.model_files_id.empty()) files::attach_deployment(s, d.id, d.model_files_id);
    audit::record(s, deployment_event(c, "CreateWSModelServing", d,
                                      "replicas=" + std::to_string(d.replicas)));
    s.after_commit(deploy::notify_deployments_changed);
  });
  return ok(detail(ctx, req, d), 201);
}

http::Response list_deployments(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_user(ctx, req);
  PageParams p = page_params(req);
  deploy::DeploymentQuery q;
  bool all = c.admin() && req.query_param("all").value_or("") == "true";
  q.workspace_id = all ? "" : c.workspace_id;
  if (auto ws = req.query_param("workspace_id"); ws && !ws->empty()) {
    q.workspace_id = target_workspace(ctx, c, *ws);
  }
  q.cluster = req.query_param("cluster").value_or("");
  q.offset = p.offset();
  q.limit = p.page_size;
  auto page = deploy::list_deployments(ctx.store, q);
  bj::array items;
  for (const auto& d : page.items) {
    bj::object o = deploy::to_json(d);
    int64_t ready = 0;
    for (const auto& r : deploy::list_replicas(ctx.store, d.id)) ready += r.ready ? 1 : 0;
    o["ready_replicas"] = ready;
    items.push_back(std::move(o));
  }
  return ok(page_body(std::move(items), page.total, p));
}

http::Response get_deployment(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_user(ctx, req);
  return ok(detail(ctx, req, visible(ctx, c, req.param("id"))));
}

http::Response scale_deployment(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_user(ctx, req);
  deploy::Deployment d = visible(ctx, c, req.param("id"));
  bj::value body = json::parse(req.body);
  json::Fields f(body);
  int64_t replicas = f.i64("replicas");
  f.done();
  check_replicas(replicas);
  deploy::check_fits(ctx.store, d, replicas, deploy::schedulable_capacity(ctx.store, d.cluster));
  ctx.store.transact([&](store::Session& s) {
    deploy::set_replica_count(s, d.id, replicas);
    audit::record(s, deployment_event(c, "UpdateWSModelServingReplicas", d,
                                      "replicas=" + std::to_string(d.replicas) + "->" +
                                          std::to_string(replicas)));
    s.after_commit(deploy::notify_deployments_changed);
  });
  d.replicas = replicas;
  return ok(detail(ctx, req, *deploy::find_deployment(ctx.store, d.id)));
}

http::Response act_on_deployment(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_user(ctx, req);
  deploy::Deployment d = visible(ctx, c, req.param("id"));
  bj::value body = json::parse(req.body);
  json::Fields f(body);
  std::string action = f.str("action");
  f.done();
  std::string want;
  bool bump = false;
  if (action == "stop") {
    want = deploy::desired::kStopped;
  } else if (action == "start") {
    want = deploy::desired::kRunning;
    deploy::check_fits(ctx.store, d, d.replicas,
                       deploy::schedulable_capacity(ctx.store, d.cluster));
  } else if (action == "restart") {
    want = deploy::desired::kRunning;
    bump = true;
  } else {
    throw_param("action must be stop, start or restart", "action");
  }
  ctx.store.transact([&](store::Session& s) {
    deploy::set_desired(s, d.id, want, bump);
    audit::record(s, deployment_event(c, "DoModelWSServingAction", d, "action=" + action));
    s.after_commit(deploy::notify_deployments_changed);
  });
  return ok(detail(ctx, req, *deploy::find_deployment(ctx.store, d.id)));
}

http::Response delete_deployment(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_user(ctx, req);
  deploy::Deployment d = visible(ctx, c, req.param("id"));
  ctx.store.transact([&](store::Session& s) {
    deploy::set_desired(s, d.id, deploy::desired::kDeleted, false);
    audit::record(s,
                  deployment_event(c, "DeleteWSModelServing", d, "access_name=" + d.access_name));
    s.after_commit(deploy::notify_deployments_changed);
  });
  return http::Response::no_content();
}

http::Response deployment_logs(ApiContext& ctx, http::Request& req) {
  auth::Caller c = require_user(ctx, req);
  deploy::Deployment d = visible(ctx, c, req.param("id"));
  int64_t index = 0;
  int64_t tail = 64 << 10;
  try {
    index = std::stoll(req.query_param("replica").value_or("0"));
    tail = std::stoll(req.query_param("tail_bytes").value_or(std::to_string(tail)));
  } catch (const std::exception&) {
    throw_param("replica and tail_bytes must be integers");
  }
  if (index < 0 || index >= kMaxReplicas) throw_param("no such replica", "replica");
  tail = std::clamp<int64_t>(tail, 0, kMaxLogBytes);
  std::string path =
      ctx.config.data_dir + "/deployments/" + d.id + "/replica-" + std::to_string(index) + ".log";
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f)
    throw ApiError(ErrorCode::kNotFound, "replica " + std::to_string(index) + " has no log yet",
                   "replica");
  int64_t size = static_cast<int64_t>(f.tellg());
  int64_t from = std::max<int64_t>(0, size - tail);
  f.seekg(from);
  std::string text(static_cast<size_t>(size - from), '\0');
  f.read(text.data(), static_cast<std::streamsize>(text.size()));
  return http::Response::text(200, std::move(text));
}

}  // namespace

void register_deployment_routes(http::Router& r, ApiContext& ctx) {
  auto bind = [&ctx](http::Response (*fn)(ApiContext&, http::Request&)) {
    return [&ctx, fn](http::Request& req) { return fn(ctx, req); };
  };
  r.add("POST", "/api/v1/deployments", bind(create_deployment),
        "Deploy a model as a service {name, model, template, model_path or model_files, runtime, "
        "replicas, "
        "cluster, namespace, custom_args, env, resources, served_model_name, workspace_id}");
  r.add("GET", "/api/v1/deployments", bind(list_deployments),
        "List the deployments of your workspace (admin: ?all=true for every workspace)");
  r.add("GET", "/api/v1/deployments/{id}", bind(get_deployment),
        "Get a deployment (by id or name): replicas, events and client examples");
  r.add("POST", "/api/v1/deployments/{id}/scale", bind(scale_deployment),
        "Set the number of replicas {replicas}");
  r.add("POST", "/api/v1/deployments/{id}/actions", bind(act_on_deployment),
        "Stop, start or restart a deployment {action}");
  r.add("DELETE", "/api/v1/deployments/{id}", bind(delete_deployment),
        "Delete a deployment; its replicas stop and its access name answers 404");
  r.add("GET", "/api/v1/deployments/{id}/logs", bind(deployment_logs),
        "The tail of one replica's log (?replica=0&tail_bytes=65536), text/plain");
}

}  // namespace hydra::api
