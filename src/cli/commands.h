#pragma once
#include <CLI/CLI.hpp>

namespace hydra::cli {

// Registers login, model, key and audit subcommands (clients of the REST API).
void add_client_commands(CLI::App& app);
// Runs whichever client subcommand was parsed; returns the exit code.
int run_client_command(CLI::App& app);

}  // namespace hydra::cli
