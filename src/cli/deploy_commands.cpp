#include "cli/deploy_commands.h"

#include <chrono>
#include <iostream>
#include <thread>

#include "cli/api_client.h"
#include "cli/credentials.h"
#include "cli/table.h"
#include "http/url.h"

namespace hydra::cli {
namespace {

namespace bj = boost::json;

struct DeployOptions {
  std::string server;
  std::string output = "table";
  std::string name;
  std::string model, model_path, model_files, template_id, runtime, workspace, cluster, served_name;
  std::vector<std::string> args;
  int64_t replicas = 1;
  int64_t wait_seconds = 0;
  int64_t replica = 0;
  int64_t tail_bytes = 65536;
  bool all = false;
};

DeployOptions& opts() {
  static DeployOptions o;
  return o;
}

std::map<CLI::App*, std::function<int()>>& actions() {
  static std::map<CLI::App*, std::function<int()>> a;
  return a;
}

ApiClient connect() {
  Credentials c = load_credentials();
  const DeployOptions& o = opts();
  std::string server = !o.server.empty()        ? o.server
                       : getenv("HYDRA_SERVER") ? getenv("HYDRA_SERVER")
                                                : c.server;
  if (server.empty()) server = "http://127.0.0.1:8080";
  std::string token = getenv("HYDRA_TOKEN") ? getenv("HYDRA_TOKEN") : c.token;
  return ApiClient(server, token);
}

std::string text(const bj::value& v, std::string_view key) {
  const bj::value* f = v.is_object() ? v.as_object().if_contains(key) : nullptr;
  if (!f || f->is_null()) return "";
  if (f->is_string()) return std::string(f->get_string());
  return bj::serialize(*f);
}

std::string path_of(const std::string& name) {
  return "/api/v1/deployments/" + http::percent_encode(name);
}

void show(const bj::value& d) {
  if (opts().output == "json") {
    std::cout << bj::serialize(d) << "\n";
    return;
  }
  std::cout << "name:        " << text(d, "name") << "\n"
            << "access name: " << text(d, "access_name") << "\n"
            << "service id:  " << text(d, "service_id") << "\n"
            << "model:       " << text(d, "model") << " (" << text(d, "model_path") << ")\n"
            << (text(d, "model_files").empty() ? ""
                                               : "model files: " + text(d, "model_files") + "\n")
            << "runtime:     " << text(d, "runtime") << "\n"
            << "replicas:    " << text(d, "ready_replicas") << "/" << text(d, "replicas")
            << " ready\n"
            << "state:       " << text(d, "state")
            << (text(d, "reason").empty() ? "" : " (" + text(d, "reason") + ")") << "\n";
  std::vector<std::vector<std::string>> rows;
  if (const bj::value* rs = d.as_object().if_contains("replica_status"); rs && rs->is_array()) {
    for (const auto& r : rs->get_array()) {
      rows.push_back({text(r, "index"), text(r, "state"), text(r, "ready"), text(r, "pid"),
                      text(r, "endpoint"), text(r, "restarts")});
    }
  }
  if (!rows.empty()) {
    std::cout << "\n"
              << render_table({"REPLICA", "STATE", "READY", "PID", "ENDPOINT", "RESTARTS"}, rows);
  }
  if (const bj::value* ex = d.as_object().if_contains("examples"); ex && ex->is_object()) {
    std::cout << "\nTry it:\n" << text(*ex, "curl") << "\n";
  }
}

// Polls until the deployment is Running (or Failed) or the time is up.
bj::value wait_running(ApiClient& api, const std::string& id, int64_t seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  bj::value d = api.call("GET", path_of(id));
  while (std::chrono::steady_clock::now() < deadline) {
    std::string st = text(d, "state");
    if (st == "Running" || st == "Failed") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    d = api.call("GET", path_of(id));
  }
  return d;
}

int cmd_create() {
  const DeployOptions& o = opts();
  // Checked here rather than by CLI11 so the message names both ways.
  if (o.model_path.empty() == o.model_files.empty()) {
    std::cerr << "error: give --model-path (a local model file) or --model-files (a model file "
                 "set's name or id), not both\n";
    return 1;
  }
  auto api = connect();
  bj::object body{{"name", o.name}, {"replicas", o.replicas}};
  auto put = [&body](const char* key, const std::string& v) {
    if (!v.empty()) body[key] = v;
  };
  put("model", o.model);
  put("model_path", o.model_path);
  put("model_files", o.model_files);
  put("template", o.template_id);
  put("runtime", o.runtime);
  put("workspace_id", o.workspace);
  put("cluster", o.cluster);
  put("served_model_name", o.served_name);
  if (!o.args.empty()) {
    bj::array a;
    for (const auto& s : o.args) a.emplace_back(s);
    body["custom_args"] = std::move(a);
  }
  bj::value b = body;
  bj::value d = api.call("POST", "/api/v1/deployments", &b);
  if (o.wait_seconds > 0) {
    d = wait_running(api, text(d, "id"), o.wait_seconds);
    if (text(d, "state") != "Running") {
      show(d);
      std::cerr << "error: not Running after " << o.wait_seconds << " s\n";
      return 1;
    }
  }
  show(d);
  return 0;
}

int cmd_list() {
  auto api = connect();
  bj::value r = api.call(
      "GET", std::string("/api/v1/deployments?page_size=200") + (opts().all ? "&all=true" : ""));
  if (opts().output == "json") {
    std::cout << bj::serialize(r) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : r.as_object().at("items").as_array()) {
    rows.push_back({text(d, "name"), text(d, "access_name"), text(d, "state"),
                    text(d, "ready_replicas") + "/" + text(d, "replicas"), text(d, "runtime"),
                    text(d, "cluster")});
  }
  std::cout << render_table({"NAME", "ACCESS NAME", "STATE", "READY", "RUNTIME", "CLUSTER"}, rows);
  return 0;
}

int cmd_get() {
  auto api = connect();
  show(api.call("GET", path_of(opts().name)));
  return 0;
}

int cmd_scale() {
  auto api = connect();
  bj::value b = bj::object{{"replicas", opts().replicas}};
  show(api.call("POST", path_of(opts().name) + "/scale", &b));
  return 0;
}

int cmd_action(const std::string& action) {
  auto api = connect();
  bj::value b = bj::object{{"action", action}};
  show(api.call("POST", path_of(opts().name) + "/actions", &b));
  return 0;
}

int cmd_delete() {
  auto api = connect();
  api.call("DELETE", path_of(opts().name));
  std::cout << "Deleted deployment " << opts().name << "\n";
  return 0;
}

int cmd_logs() {
  auto api = connect();
  // Checked first so that errors come back as messages, not as log text.
  api.call("GET", path_of(opts().name));
  std::cout << api.call_raw("GET", path_of(opts().name) +
                                       "/logs?replica=" + std::to_string(opts().replica) +
                                       "&tail_bytes=" + std::to_string(opts().tail_bytes));
  return 0;
}

CLI::App* leaf(CLI::App* parent, const std::string& name, const std::string& help,
               std::function<int()> fn, bool takes_name = true) {
  auto* cmd = parent->add_subcommand(name, help);
  cmd->add_option("-o,--output", opts().output, "table or json")
      ->check(CLI::IsMember({"table", "json"}));
  cmd->add_option("--server", opts().server, "server base URL (default: from hydra login)");
  if (takes_name) cmd->add_option("name", opts().name, "deployment name or id")->required();
  actions()[cmd] = std::move(fn);
  return cmd;
}

}  // namespace

void add_deploy_commands(CLI::App& app) {
  DeployOptions& o = opts();
  auto* deploy =
      app.add_subcommand("deploy", "model services (deployments)")->require_subcommand(1);
  auto* create = leaf(deploy, "create", "deploy a model as a service", cmd_create);
  create->add_option("--model-path", o.model_path, "absolute path of a local model file");
  create->add_option("--model-files", o.model_files,
                     "model file set (name or id) to run; the deployment waits in Downloading "
                     "until the set is READY");
  create->add_option("--model", o.model, "catalog model id");
  create->add_option("--template", o.template_id, "deployment template id");
  create->add_option("--runtime", o.runtime, "runtime template name (default hydra-engine)");
  create->add_option("--replicas", o.replicas, "number of replicas")->capture_default_str();
  create->add_option("--arg", o.args, "custom runtime argument (repeatable)");
  create->add_option("--workspace", o.workspace, "workspace id or slug (default: your own)");
  create->add_option("--cluster", o.cluster, "cluster (default local)");
  create->add_option("--served-model-name", o.served_name, "model id the runtime answers to");
  create->add_option("--wait", o.wait_seconds, "wait up to this many seconds for Running");
  leaf(deploy, "list", "list deployments", cmd_list, false)
      ->add_flag("--all", o.all, "every workspace (administrators)");
  leaf(deploy, "get", "show a deployment, its replicas and a curl example", cmd_get);
  leaf(deploy, "scale", "set the number of replicas", cmd_scale)
      ->add_option("replicas", o.replicas, "replicas")
      ->required();
  leaf(deploy, "stop", "stop every replica", [] { return cmd_action("stop"); });
  leaf(deploy, "start", "start a stopped deployment", [] { return cmd_action("start"); });
  leaf(deploy, "restart", "replace every replica", [] { return cmd_action("restart"); });
  leaf(deploy, "delete", "delete a deployment", cmd_delete);
  auto* logs = leaf(deploy, "logs", "print the tail of a replica's log", cmd_logs);
  logs->add_option("--replica", o.replica, "replica index")->capture_default_str();
  logs->add_option("--tail-bytes", o.tail_bytes, "bytes from the end")->capture_default_str();
}

int run_deploy_command(CLI::App& app) {
  (void)app;
  for (const auto& [cmd, fn] : actions()) {
    if (!cmd->parsed()) continue;
    try {
      return fn();
    } catch (const std::exception& e) {
      std::cerr << "error: " << e.what() << "\n";
      return 1;
    }
  }
  return -1;
}

}  // namespace hydra::cli
