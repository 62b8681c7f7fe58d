#include "cli/commands.h"

#include <termios.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/api_client.h"
#include "cli/credentials.h"
#include "cli/table.h"
#include "common/clock.h"
#include "common/strings.h"
#include "http/url.h"

namespace hydra::cli {
namespace {

namespace bj = boost::json;

// Values of every client option; CLI11 binds to these.
struct Options {
  std::string server;
  std::string output = "table";
  std::string user;
  std::string password;
  std::string provider, tag, search;
  bool all = false, dry_run = false;
  int64_t page = 1, page_size = 50;
  std::string source;  // file path or URL for import
  std::string id;
  std::string name, workspace, models;
  int64_t expires_in_days = 0;
  std::string action, actor, resource_type, since, until;
};
Options opt;

std::string field(const bj::value& v, std::string_view key) {
  const auto* o = v.if_object();
  if (!o) return "";
  const bj::value* f = o->if_contains(key);
  if (!f || f->is_null()) return "";
  if (f->is_string()) return std::string(f->get_string());
  if (f->is_bool()) return f->get_bool() ? "yes" : "no";
  if (f->is_array()) {
    std::string out;
    for (const auto& item : f->get_array()) {
      if (!out.empty()) out += ",";
      out += item.is_string() ? std::string(item.get_string()) : bj::serialize(item);
    }
    return out;
  }
  return bj::serialize(*f);
}

std::string time_field(const bj::value& v, std::string_view key) {
  std::string raw = field(v, key);
  if (raw.empty() || raw.find_first_not_of("0123456789") != std::string::npos) return raw;
  return format_time_ms(std::stoll(raw)).substr(0, 19);
}

ApiClient connect() {
  Credentials c = load_credentials();
  std::string server = !opt.server.empty()      ? opt.server
                       : getenv("HYDRA_SERVER") ? getenv("HYDRA_SERVER")
                                                : c.server;
  if (server.empty()) server = "http://127.0.0.1:8080";
  std::string token = getenv("HYDRA_TOKEN") ? getenv("HYDRA_TOKEN") : c.token;
  return ApiClient(server, token);
}

void print_items(const bj::value& page, const std::vector<std::string>& header,
                 const std::vector<std::function<std::string(const bj::value&)>>& cols) {
  if (opt.output == "json") {
    std::cout << bj::serialize(page) << "\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  const bj::value* items = page.is_object() ? page.as_object().if_contains("items") : nullptr;
  if (items && items->is_array()) {
    for (const auto& item : items->get_array()) {
      std::vector<std::string> row;
      for (const auto& col : cols) row.push_back(col(item));
      rows.push_back(std::move(row));
    }
  }
  std::cout << render_table(header, rows);
  if (page.is_object() && page.as_object().contains("total")) {
    std::cout << "(" << rows.size() << " of " << field(page, "total") << ")\n";
  }
}

auto col(std::string key) {
  return [key](const bj::value& v) { return field(v, key); };
}

std::string query_string(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string q;
  for (const auto& [k, v] : params) {
    if (v.empty()) continue;
    q += (q.empty() ? "?" : "&") + k + "=" + http::percent_encode(v);
  }
  return q;
}

std::string read_password() {
  if (!opt.password.empty()) return opt.password;
  if (const char* p = getenv("HYDRA_PASSWORD")) return p;
  std::cerr << "Password: " << std::flush;
  termios old{};
  bool tty = tcgetattr(STDIN_FILENO, &old) == 0;
  if (tty) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string pw;
  std::getline(std::cin, pw);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
  }
  return pw;
}

int cmd_login() {
  Credentials c;
  c.server = opt.server.empty() ? "http://127.0.0.1:8080" : opt.server;
  ApiClient api(c.server, "");
  bj::value body = bj::object{{"name", opt.user}, {"password", read_password()}};
  bj::value r = api.call("POST", "/api/v1/auth/login", &body);
  c.token = field(r, "token");
  if (c.token.empty()) throw std::runtime_error("server did not return a session token");
  save_credentials(c);
  std::cout << "Logged in to " << c.server << " as " << opt.user << "\n";
  return 0;
}

int cmd_model_list() {
  auto api = connect();
  std::string q = query_string({{"provider", opt.provider},
                                {"tag", opt.tag},
                                {"keyword", opt.search},
                                {"page", std::to_string(opt.page)},
                                {"page_size", std::to_string(opt.page_size)}});
  bj::value r = api.call("GET", "/api/v1/models" + q);
  print_items(r, {"ID", "NAME", "PROVIDER", "TAGS", "PUBLISHED"},
              {col("id"), col("display_name"), col("provider_id"), col("tags"), col("published")});
  return 0;
}

std::string read_source(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int cmd_model_import() {
  auto api = connect();
  std::string path = "/api/v1/models/import" + std::string(opt.dry_run ? "?dry_run=true" : "");
  bj::value r;
  if (starts_with(opt.source, "http://") || starts_with(opt.source, "https://")) {
    bj::value body = bj::object{{"url", opt.source}};
    r = api.call("POST", path, &body);
  } else {
    std::string yaml = read_source(opt.source);
    r = api.call("POST", path, nullptr, "application/yaml", &yaml);
  }
  print_items(r, {"ID", "STATUS", "REASON"}, {col("id"), col("status"), col("reason")});
  return 0;
}

int cmd_model_publish(bool publish) {
  auto api = connect();
  std::string path =
      "/api/v1/models/" + http::percent_encode(opt.id) + (publish ? "/publish" : "/unpublish");
  bj::value r = api.call("POST", path);
  if (opt.output == "json") {
    std::cout << bj::serialize(r) << "\n";
  } else {
    std::cout << (publish ? "Published " : "Unpublished ") << opt.id << "\n";
  }
  return 0;
}

int cmd_key_create() {
  auto api = connect();
  bj::object body{{"name", opt.name}};
  if (!opt.workspace.empty()) body["workspace_id"] = opt.workspace;
  if (opt.expires_in_days > 0) body["expires_at"] = now_ms() + opt.expires_in_days * 86400000;
  if (!opt.models.empty()) {
    bj::array models;
    for (const auto& m : split(opt.models, ',')) models.emplace_back(trim(m));
    body["allowed_models"] = std::move(models);
  }
  bj::value b = body;
  bj::value r = api.call("POST", "/api/v1/api-keys", &b);
  if (opt.output == "json") {
    std::cout << bj::serialize(r) << "\n";
    return 0;
  }
  std::cout << "Created key " << field(r, "id") << " (" << field(r, "name") << ")\n\n"
            << "  " << field(r, "key") << "\n\n"
            << "Copy it now: it is shown only this once.\n";
  return 0;
}

int cmd_key_list() {
  auto api = connect();
  std::string q = query_string({{"all", opt.all ? "true" : ""},
                                {"page", std::to_string(opt.page)},
                                {"page_size", std::to_string(opt.page_size)}});
  bj::value r = api.call("GET", "/api/v1/api-keys" + q);
  print_items(r, {"ID", "NAME", "KEY", "CREATED", "LAST USED", "EXPIRES"},
              {col("id"), col("name"), col("masked"),
               [](const bj::value& v) { return time_field(v, "created_at"); },
               [](const bj::value& v) { return time_field(v, "last_used_at"); },
               [](const bj::value& v) { return time_field(v, "expires_at"); }});
  return 0;
}

int cmd_key_delete() {
  auto api = connect();
  api.call("DELETE", "/api/v1/api-keys/" + http::percent_encode(opt.id));
  std::cout << "Deleted key " << opt.id << "\n";
  return 0;
}

int cmd_audit_list() {
  auto api = connect();
  std::string q = query_string({{"action", opt.action},
                                {"actor", opt.actor},
                                {"resource_type", opt.resource_type},
                                {"since", opt.since},
                                {"until", opt.until},
                                {"page", std::to_string(opt.page)},
                                {"page_size", std::to_string(opt.page_size)}});
  bj::value r = api.call("GET", "/api/v1/audit-events" + q);
  print_items(
      r, {"TIME", "ACTOR", "ACTION", "RESOURCE", "RESULT", "SOURCE IP"},
      {[](const bj::value& v) { return time_field(v, "time"); }, col("actor_name"), col("action"),
       [](const bj::value& v) { return field(v, "resource_type") + "/" + field(v, "resource_id"); },
       col("result"), col("source_ip")});
  return 0;
}

void add_output(CLI::App* cmd) {
  cmd->add_option("-o,--output", opt.output, "table or json")
      ->check(CLI::IsMember({"table", "json"}));
  cmd->add_option("--server", opt.server, "server base URL (default: from hydra login)");
}

void add_paging(CLI::App* cmd) {
  cmd->add_option("--page", opt.page, "page number")->check(CLI::PositiveNumber);
  cmd->add_option("--page-size", opt.page_size, "rows per page (max 200)")
      ->check(CLI::Range(1, 200));
}

std::map<CLI::App*, std::function<int()>> actions;

CLI::App* leaf(CLI::App* parent, const std::string& name, const std::string& help,
               std::function<int()> fn) {
  auto* cmd = parent->add_subcommand(name, help);
  add_output(cmd);
  actions[cmd] = std::move(fn);
  return cmd;
}

}  // namespace

void add_client_commands(CLI::App& app) {
  auto* login = leaf(&app, "login", "log in to a Hydra server and keep the session", cmd_login);
  login->add_option("-u,--user", opt.user, "user name")->required();
  login->add_option("-p,--password", opt.password, "password (else HYDRA_PASSWORD or a prompt)");

  auto* model = app.add_subcommand("model", "models in the catalog")->require_subcommand(1);
  auto* mlist = leaf(model, "list", "list models", cmd_model_list);
  mlist->add_option("--provider", opt.provider, "filter by provider id");
  mlist->add_option("--tag", opt.tag, "filter by tag, e.g. TEXT_GENERATION");
  mlist->add_option("--search", opt.search, "keyword in id, name or description");
  add_paging(mlist);
  auto* mimport =
      leaf(model, "import", "import ModelHub metadata.yaml / index.yaml from a file or URL",
           cmd_model_import);
  mimport->add_option("source", opt.source, "file path or http(s) URL")->required();
  mimport->add_flag("--dry-run", opt.dry_run, "only show what would be imported");
  leaf(model, "publish", "publish a model to the model square",
       [] { return cmd_model_publish(true); })
      ->add_option("id", opt.id, "model id")
      ->required();
  leaf(model, "unpublish", "hide a model from the model square",
       [] { return cmd_model_publish(false); })
      ->add_option("id", opt.id, "model id")
      ->required();

  auto* key = app.add_subcommand("key", "API keys")->require_subcommand(1);
  auto* kcreate = leaf(key, "create", "create an API key (shown once)", cmd_key_create);
  kcreate->add_option("--name", opt.name, "a name to recognise it by");
  kcreate->add_option("--workspace", opt.workspace, "workspace id (default: your own)");
  kcreate->add_option("--expires-in-days", opt.expires_in_days, "days until it expires");
  kcreate->add_option("--models", opt.models, "comma-separated models it may call (default: all)");
  auto* klist = leaf(key, "list", "list your API keys (masked)", cmd_key_list);
  klist->add_flag("--all", opt.all, "every user's keys (administrators)");
  add_paging(klist);
  leaf(key, "delete", "delete an API key", cmd_key_delete)
      ->add_option("id", opt.id, "key id")
      ->required();

  auto* audit = app.add_subcommand("audit", "audit log")->require_subcommand(1);
  auto* alist = leaf(audit, "list", "list audit events, newest first", cmd_audit_list);
  alist->add_option("--action", opt.action, "e.g. CreateModel");
  alist->add_option("--actor", opt.actor, "user name");
  alist->add_option("--resource-type", opt.resource_type, "e.g. model");
  alist->add_option("--since", opt.since, "RFC 3339 time or epoch ms");
  alist->add_option("--until", opt.until, "RFC 3339 time or epoch ms");
  add_paging(alist);
}

int run_client_command(CLI::App& app) {
  (void)app;
  for (const auto& [cmd, fn] : actions) {
    if (!cmd->parsed()) continue;
    try {
      return fn();
    } catch (const std::exception& e) {
      std::cerr << "error: " << e.what() << "\n";
      return 1;
    }
  }
  std::cerr << "no command given; see --help\n";
  return 2;
}

}  // namespace hydra::cli
