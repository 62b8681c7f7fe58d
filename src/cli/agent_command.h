#pragma once
// `hydra agent --server URL --token T --name NAME --backend local|kubernetes`:
// joins a cluster created by an administrator and runs its deployments.
#include <CLI/CLI.hpp>

namespace hydra::cli {

void add_agent_command(CLI::App& app);
// The exit code when `hydra agent` was parsed, else -1.
int run_agent_command(CLI::App& app);

}  // namespace hydra::cli
