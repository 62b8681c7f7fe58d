// The one hydra binary: every role and the command-line client.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/agent_command.h"
#include "cli/commands.h"
#include "cli/deploy_commands.h"
#include "cli/engine_commands.h"
#include "cli/pull_command.h"
#include "cli/serve.h"
#include "common/config.h"
#include "common/log.h"

extern char** environ;

int main(int argc, char** argv) {
  CLI::App app{"Hydra: a self-hosted large-model service platform"};
  app.require_subcommand(1);
  hydra::Config cfg;
  std::string config_file;
  std::map<std::string, std::string> flags;

  auto* serve =
      app.add_subcommand("serve", "run control plane, gateway and console in one process");
  serve->add_option("--config", config_file, "YAML config file (also HYDRA_CONFIG)");
  for (const auto& key : hydra::config_keys()) {
    std::string flag = "--" + key.name;
    std::replace(flag.begin(), flag.end(), '_', '-');
    serve->add_option(flag, flags[key.name], key.help);
  }

  hydra::cli::add_client_commands(app);
  hydra::cli::add_engine_commands(app);
  hydra::cli::add_deploy_commands(app);
  hydra::cli::add_pull_command(app);
  hydra::cli::add_agent_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (serve->parsed()) {
    try {
      if (config_file.empty() && getenv("HYDRA_CONFIG")) config_file = getenv("HYDRA_CONFIG");
      if (!config_file.empty()) hydra::config_load_yaml(cfg, config_file);
      hydra::config_load_env(cfg, environ);
      for (const auto& [key, value] : flags) {
        if (!value.empty()) hydra::config_set(cfg, key, value);
      }
      hydra::log_init(cfg.log_level);
      return hydra::cli::run_serve(cfg);
    } catch (const std::exception& e) {
      std::cerr << "hydra serve: " << e.what() << "\n";
      return 1;
    }
  }
  if (int rc = hydra::cli::run_engine_command(app); rc >= 0) return rc;
  if (int rc = hydra::cli::run_deploy_command(app); rc >= 0) return rc;
  if (int rc = hydra::cli::run_pull_command(app); rc >= 0) return rc;
  if (int rc = hydra::cli::run_agent_command(app); rc >= 0) return rc;
  return hydra::cli::run_client_command(app);
}
