#include "common/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <stdexcept>

namespace hydra {
namespace {

int64_t parse_int(const std::string& key, const std::string& v) {
  try {
    size_t used = 0;
    int64_t n = std::stoll(v, &used);
    if (used != v.size() || n < 0) throw std::invalid_argument(v);
    return n;
  } catch (const std::exception&) {
    throw std::invalid_argument("setting '" + key + "' needs a non-negative integer, got '" + v +
                                "'");
  }
}

bool parse_bool(const std::string& key, const std::string& v) {
  if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "off") return false;
  throw std::invalid_argument("setting '" + key + "' needs true or false, got '" + v + "'");
}

ConfigKey str_key(std::string name, std::string help, std::string Config::*m) {
  return {name, std::move(help), [m](Config& c, const std::string& v) { c.*m = v; },
          [m](const Config& c) { return c.*m; }};
}

ConfigKey int_key(std::string name, std::string help, int64_t Config::*m) {
  return {name, std::move(help),
          [m, name](Config& c, const std::string& v) { c.*m = parse_int(name, v); },
          [m](const Config& c) { return std::to_string(c.*m); }};
}

ConfigKey bool_key(std::string name, std::string help, bool Config::*m) {
  return {name, std::move(help),
          [m, name](Config& c, const std::string& v) { c.*m = parse_bool(name, v); },
          [m](const Config& c) { return std::string(c.*m ? "true" : "false"); }};
}

}  // namespace

const std::vector<ConfigKey>& config_keys() {
  static const std::vector<ConfigKey> keys = {
      str_key("listen", "HOST:PORT to listen on", &Config::listen),
      str_key("data_dir", "directory for the SQLite store and logs", &Config::data_dir),
      str_key("database", "sqlite:PATH or postgres://... (default: SQLite in data_dir)",
              &Config::database),
      str_key("log_level", "trace|debug|info|warn|error", &Config::log_level),
      bool_key("access_log", "write a JSON access log line per request", &Config::access_log),
      str_key("sqlite_synchronous", "FULL or NORMAL", &Config::sqlite_synchronous),
      int_key("max_body_bytes", "largest request body accepted", &Config::max_body_bytes),
      int_key("max_header_bytes", "largest request header block accepted",
              &Config::max_header_bytes),
      int_key("read_timeout_ms", "time allowed to receive a whole request",
              &Config::read_timeout_ms),
      int_key("idle_timeout_ms", "keep-alive idle time before close", &Config::idle_timeout_ms),
      int_key("max_connections", "open connections accepted at once", &Config::max_connections),
      int_key("io_threads", "network threads (0: one per core)", &Config::io_threads),
      int_key("io_spin_us", "time a network thread polls for work before it sleeps",
              &Config::io_spin_us),
      int_key("worker_threads", "handler threads (0: 2 x cores)", &Config::worker_threads),
      int_key("shutdown_grace_ms", "time to drain requests on shutdown",
              &Config::shutdown_grace_ms),
      int_key("max_keys_per_user", "API keys one user may hold", &Config::max_keys_per_user),
      int_key("session_ttl_s", "console/CLI session lifetime", &Config::session_ttl_s),
      str_key("admin_user", "name of the first administrator", &Config::admin_user),
      str_key("admin_password", "password of the first administrator (random if empty)",
              &Config::admin_password),
      str_key("secret_key", "key that encrypts upstream secrets at rest", &Config::secret_key),
      str_key("public_url", "base URL shown to users", &Config::public_url),
      str_key("tls_cert", "PEM certificate chain; enables TLS with tls_key", &Config::tls_cert),
      str_key("tls_key", "PEM private key", &Config::tls_key),
      str_key("limits_redis_url",
              "redis://[:password@]host:port[/db] shared by gateways for rate limits (empty: "
              "in-process)",
              &Config::limits_redis_url),
      int_key("limits_poll_ms", "how often rate-limit rules and quotas are reloaded",
              &Config::limits_poll_ms),
      int_key("gateway_probe_ms",
              "how often the gateway probes each upstream with GET /models (0: never)",
              &Config::gateway_probe_ms),
      int_key("upstream_max_connections",
              "connections the gateway opens to one upstream host; further requests wait for "
              "one to free (up to the connect time-out)",
              &Config::upstream_max_connections),
      int_key("upstream_connect_timeout_ms",
              "time to connect to an upstream (TCP and TLS), or to wait for a free connection",
              &Config::upstream_connect_timeout_ms),
      int_key("upstream_first_byte_timeout_ms",
              "time from sending a request upstream to the head of its answer",
              &Config::upstream_first_byte_timeout_ms),
      int_key("upstream_chunk_timeout_ms",
              "silence allowed between two pieces of an upstream answer (a stream's events)",
              &Config::upstream_chunk_timeout_ms),
      str_key("web_dir", "directory of the built web console (default: the source tree's web/dist)",
              &Config::web_dir),
  };
  return keys;
}

void config_set(Config& cfg, const std::string& key, const std::string& value) {
  for (const auto& k : config_keys()) {
    if (k.name == key) {
      k.set(cfg, value);
      return;
    }
  }
  throw std::invalid_argument("unknown setting '" + key + "'");
}

void config_load_yaml(Config& cfg, const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw std::invalid_argument("config file " + path + ": " + e.what());
  }
  if (root.IsNull()) return;
  if (!root.IsMap()) throw std::invalid_argument("config file " + path + " must be a mapping");
  for (const auto& kv : root) {
    std::string key = kv.first.as<std::string>();
    std::replace(key.begin(), key.end(), '-', '_');
    if (!kv.second.IsScalar())
      throw std::invalid_argument("setting '" + key + "' must be a scalar");
    config_set(cfg, key, kv.second.as<std::string>());
  }
}

void config_load_env(Config& cfg, char** envp) {
  for (char** e = envp; e && *e; ++e) {
    std::string entry = *e;
    if (entry.rfind("HYDRA_", 0) != 0) continue;
    auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    std::string key = entry.substr(6, eq - 6);
    std::transform(key.begin(), key.end(), key.begin(), ::tolower);
    for (const auto& k : config_keys()) {
      if (k.name == key) k.set(cfg, entry.substr(eq + 1));
    }
  }
}

std::string Config::database_url() const {
  if (!database.empty()) return database;
  return "sqlite:" + data_dir + "/hydra.db";
}

std::string Config::base_url() const {
  if (!public_url.empty()) return public_url;
  std::string scheme = tls_cert.empty() ? "http://" : "https://";
  return scheme + listen;
}

}  // namespace hydra
