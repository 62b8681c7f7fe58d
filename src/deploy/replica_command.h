#pragma once
// How a replica of a deployment is started on the local backend: the
// runtime template rendered with the deployment's variables (DESIGN.md §3
// RuntimeTemplate), its executable resolved (the hydra-engine runtime is
// this very binary), its environment and start token added.
#include <string>

#include "catalog/runtime_template.h"
#include "deploy/deployment.h"
#include "deploy/local_process.h"

namespace hydra::deploy {

// The template variables for one replica listening on `port`.
boost::json::object template_variables(const Deployment& d, int port,
                                       const std::string& host = "127.0.0.1");

// Throws ApiError (PARAM_ERROR) when the template does not render.
LaunchSpec replica_launch_spec(const Deployment& d, const catalog::RuntimeTemplate& rt, int port,
                               const std::string& start_token, const std::string& log_path,
                               const std::string& host = "127.0.0.1");

}  // namespace hydra::deploy
