#pragma once
// Deployment templates: the ways a model may be deployed (resources,
// runtime, parallelism). A model has several; users pick one when they
// deploy it.
#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catalog/change_log.h"
#include "store/store.h"

namespace hydra::catalog {

struct Resources {
  double cpu = 0;
  double memory = 0;  // GB
  std::string gpu_type = "cpu";
  int64_t gpu_count = 0;  // per node
  double per_gpu_memory_gb = 0;
};

struct Distributed {
  int64_t tp = 1;     // tensor-parallel size
  int64_t pp = 1;     // pipeline-parallel size
  int64_t nodes = 1;  // nodes per replica
};

struct DeploymentTemplate {
  std::string id;
  std::string model_id;
  std::string name;
  Resources resources;
  std::string runtime;          // a runtime template name
  std::string runtime_version;  // e.g. ">=v0.6.5"
  int64_t max_model_len = 0;
  std::vector<std::string> custom_args;
  std::map<std::string, std::string> env;
  Distributed distributed;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

boost::json::object to_json(const DeploymentTemplate& t);
// JSON keys: resources {cpu, memory, gpuType, gpuCount, perGPUMemoryGB},
// distributed {tp, pp, nodes}, the rest snake_case.
DeploymentTemplate deployment_template_from_json(const boost::json::value& body);
void apply_deployment_template_patch(DeploymentTemplate& t, const boost::json::value& body);
// Rules that need no store; throws PARAM_ERROR. Returns nothing on success.
void validate_deployment_template(const DeploymentTemplate& t);
// The same rules as a message ("" when valid), for the lenient importer.
std::string deployment_template_problem(const DeploymentTemplate& t);

std::vector<DeploymentTemplate> list_deployment_templates(store::Store& st,
                                                          const std::string& model_id);
std::optional<DeploymentTemplate> find_deployment_template(store::Session& s,
                                                           const std::string& id);
DeploymentTemplate get_deployment_template(store::Store& st, const std::string& id);

// Inside an open transaction; checks model existence and name uniqueness.
// `require_runtime` also demands a runtime template of that name (the
// importer lets unknown runtimes in so that templates can be added later).
void insert_deployment_template(store::Session& s, DeploymentTemplate& t, bool require_runtime);

DeploymentTemplate create_deployment_template(store::Store& st, DeploymentTemplate t,
                                              const Actor& actor);
DeploymentTemplate update_deployment_template(store::Store& st, const std::string& id,
                                              const boost::json::value& patch, const Actor& actor);
void delete_deployment_template(store::Store& st, const std::string& id, const Actor& actor);

}  // namespace hydra::catalog
