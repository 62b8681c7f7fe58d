#pragma once
// Settings for every role. Precedence, lowest first: built-in defaults, the
// YAML file (`--config FILE` or HYDRA_CONFIG), HYDRA_* environment variables,
// command-line flags. Keys are the same everywhere: `data_dir` in YAML is
// HYDRA_DATA_DIR in the environment and --data-dir on the command line.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace hydra {

struct Config {
  std::string listen = "127.0.0.1:8080";
  std::string data_dir = "./.hydra";
  std::string database;  // empty: SQLite at <data_dir>/hydra.db; else sqlite:PATH or postgres://...
  std::string log_level = "info";
  bool access_log = true;
  std::string sqlite_synchronous = "FULL";  // FULL or NORMAL (both survive kill -9 in WAL mode)

  int64_t max_body_bytes = 8 << 20;
  int64_t max_header_bytes = 16 << 10;
  int64_t read_timeout_ms = 30000;  // whole request must arrive within this
  int64_t idle_timeout_ms = 60000;  // keep-alive connection with no request
  int64_t max_connections = 10000;
  int64_t io_threads = 0;      // 0: one per core
  int64_t io_spin_us = 200;    // polling before a network thread sleeps
  int64_t worker_threads = 0;  // 0: 2 x cores; runs blocking handlers
  int64_t shutdown_grace_ms = 15000;

  int64_t max_keys_per_user = 50;
  int64_t session_ttl_s = 7 * 24 * 3600;
  std::string admin_user = "admin";
  std::string admin_password;  // HYDRA_ADMIN_PASSWORD; random when empty
  std::string secret_key;      // HYDRA_SECRET_KEY; encrypts upstream secrets
  std::string public_url;      // base URL shown to users; default http://<listen>
  std::string tls_cert;
  std::string tls_key;
  std::string limits_redis_url;     // empty: rate-limit counters in this process only
  int64_t limits_poll_ms = 1000;    // how soon rule and quota changes apply
  int64_t gateway_probe_ms = 5000;  // active upstream health probes (0: none)
  // The gateway's client of upstream model servers.
  int64_t upstream_max_connections = 512;  // open to one upstream host; more requests wait
  int64_t upstream_connect_timeout_ms = 5000;
  int64_t upstream_first_byte_timeout_ms = 120000;
  int64_t upstream_chunk_timeout_ms = 120000;
  std::string web_dir;  // built web console (index.html + assets/); empty: the build's default

  std::string database_url() const;
  std::string base_url() const;
};

// Every settable key with its description, for --help and validation.
struct ConfigKey {
  std::string name;
  std::string help;
  std::function<void(Config&, const std::string&)> set;
  std::function<std::string(const Config&)> get;
};
const std::vector<ConfigKey>& config_keys();

// Throws std::invalid_argument naming the key on a bad value or unknown key.
void config_set(Config& cfg, const std::string& key, const std::string& value);
void config_load_yaml(Config& cfg, const std::string& path);
void config_load_env(Config& cfg, char** envp);

}  // namespace hydra
