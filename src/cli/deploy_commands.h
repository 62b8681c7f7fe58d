#pragma once
// `hydra deploy create|list|get|scale|stop|start|restart|delete|logs`:
// model services through the REST API (/api/v1/deployments).
#include <CLI/CLI.hpp>

namespace hydra::cli {

void add_deploy_commands(CLI::App& app);
// The exit code when a deploy command was parsed, else -1.
int run_deploy_command(CLI::App& app);

}  // namespace hydra::cli
