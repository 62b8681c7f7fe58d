#pragma once
#include "common/config.h"

namespace hydra::cli {

// Runs the all-in-one server until SIGINT/SIGTERM; returns the exit code.
int run_serve(Config cfg);

}  // namespace hydra::cli
