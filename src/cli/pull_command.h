#pragma once
// `hydra pull SOURCE URI [--dest DIR]`: fetch a model's files, resumably
// and checksummed, with a progress line (bytes, rate, ETA). By default it
// downloads here, into DIR; with --remote the server downloads them as a
// model file set (/api/v1/model-files) and the command follows its progress.
#include <CLI/CLI.hpp>

namespace hydra::cli {

void add_pull_command(CLI::App& app);
// The exit code when `pull` was parsed, else -1.
int run_pull_command(CLI::App& app);

}  // namespace hydra::cli
