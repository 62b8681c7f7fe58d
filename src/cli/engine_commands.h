#pragma once
// `hydra engine ...`: the built-in inference engine's commands (serve,
// make-test-model).
#include <CLI/CLI.hpp>

namespace hydra::cli {

void add_engine_commands(CLI::App& app);
// Runs the engine command that was parsed; -1 when none was.
int run_engine_command(CLI::App& app);

}  // namespace hydra::cli
