#include "catalog/deployment_template.h"

#include <cmath>

#include "catalog/json_columns.h"
#include "catalog/names.h"
#include "common/error.h"
#include "common/json.h"
#include "common/strings.h"

namespace hydra::catalog {
namespace {

bool valid_gpu_type(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

bool bad_number(double v) {
  return !std::isfinite(v) || v < 0;
}

Resources decode_resources(const bj::value& v) {
  json::Fields f(v, "resources");
  Resources r;
  r.cpu = f.opt_f64("cpu").value_or(0);
  r.memory = f.opt_f64("memory").value_or(0);
  r.gpu_type = f.opt_str("gpuType").value_or("");
  r.gpu_count = f.opt_i64("gpuCount").value_or(0);
  r.per_gpu_memory_gb = f.opt_f64("perGPUMemoryGB").value_or(0);
  f.done();
  if (r.gpu_type.empty()) r.gpu_type = r.gpu_count > 0 ? "gpu" : "cpu";
  return r;
}

Distributed decode_distributed(const bj::value& v) {
  json::Fields f(v, "distributed");
  Distributed d;
  d.tp = f.opt_i64("tp").value_or(1);
  d.pp = f.opt_i64("pp").value_or(1);
  d.nodes = f.opt_i64("nodes").value_or(1);
  f.done();
  return d;
}

void apply_fields(DeploymentTemplate& t, json::Fields& f) {
  if (auto v = f.opt_str("name")) t.name = *v;
  if (auto* v = f.opt_value("resources")) t.resources = decode_resources(*v);
  if (auto v = f.opt_str("runtime")) t.runtime = *v;
  if (auto v = f.opt_str("runtime_version")) t.runtime_version = *v;
  if (auto v = f.opt_i64("max_model_len")) t.max_model_len = *v;
  if (auto* v = f.opt_value("custom_args")) t.custom_args = decode_string_list(*v, "custom_args");
  if (auto* v = f.opt_value("env")) t.env = decode_string_map(*v, "env");
  if (auto* v = f.opt_value("distributed")) t.distributed = decode_distributed(*v);
  f.done();
}

}  // namespace

bj::object to_json(const DeploymentTemplate& t) {
  const Resources& r = t.resources;
  return {{"id", t.id},
          {"model_id", t.model_id},
          {"name", t.name},
          {"resources",
           {{"cpu", r.cpu},
            {"memory", r.memory},
            {"gpuType", r.gpu_type},
            {"gpuCount", r.gpu_count},
            {"perGPUMemoryGB", r.per_gpu_memory_gb}}},
          {"runtime", t.runtime},
          {"runtime_version", t.runtime_version},
          {"max_model_len", t.max_model_len},
          {"custom_args", to_json(t.custom_args)},
          {"env", to_json(t.env)},
          {"distributed",
           {{"tp", t.distributed.tp}, {"pp", t.distributed.pp}, {"nodes", t.distributed.nodes}}},
          {"created_at", t.created_at},
          {"updated_at", t.updated_at}};
}

std::string deployment_template_problem(const DeploymentTemplate& t) {
  const Resources& r = t.resources;
  if (!valid_resource_name(t.name)) {
    return "name '" + t.name +
           "' is invalid: use 2-64 characters of a-z, 0-9 and '-', starting and ending with a "
           "letter or digit";
  }
  if (!valid_runtime_name(t.runtime))
    return "runtime '" + t.runtime + "' is not a valid runtime name";
  if (t.runtime_version.size() > 64) return "runtime_version is too long";
  if (bad_number(r.cpu) || bad_number(r.memory) || bad_number(r.per_gpu_memory_gb)) {
    return "resources must be finite and not negative";
  }
  if (r.gpu_count < 0) return "resources.gpuCount must not be negative";
  if (!valid_gpu_type(r.gpu_type)) return "resources.gpuType '" + r.gpu_type + "' is invalid";
  if ((r.gpu_count == 0) != (r.gpu_type == "cpu")) {
    return "resources.gpuCount is 0 exactly when resources.gpuType is 'cpu' (got gpuType '" +
           r.gpu_type + "', gpuCount " + std::to_string(r.gpu_count) + ")";
  }
  if (r.gpu_type == "cpu" && r.per_gpu_memory_gb != 0) {
    return "resources.perGPUMemoryGB must be 0 for a cpu template";
  }
  if (t.max_model_len < 0) return "max_model_len must not be negative";
  const Distributed& d = t.distributed;
  if (d.tp < 1 || d.pp < 1 || d.nodes < 1) return "distributed tp, pp and nodes must be at least 1";
  if (d.nodes > 1024 || d.tp > 1024 || d.pp > 1024) return "distributed sizes are too large";
  if (r.gpu_count > 0 && d.tp * d.pp > r.gpu_count * d.nodes) {
    return "distributed tp x pp (" + std::to_string(d.tp * d.pp) +
           ") exceeds the GPUs available (" + std::to_string(r.gpu_count * d.nodes) +
           " = gpuCount x nodes)";
  }
  for (const auto& [k, v] : t.env) {
    if (!valid_env_name(k)) return "env name '" + k + "' is invalid";
  }
  return {};
}

void validate_deployment_template(const DeploymentTemplate& t) {
  std::string problem = deployment_template_problem(t);
  if (!problem.empty()) throw_param(problem);
}

DeploymentTemplate deployment_template_from_json(const bj::value& body) {
  json::Fields f(body);
  DeploymentTemplate t;
  t.model_id = f.str("model_id");
  t.name = f.str("name");
  t.runtime = f.str("runtime");
  apply_fields(t, f);
  validate_deployment_template(t);
  return t;
}

void apply_deployment_template_patch(DeploymentTemplate& t, const bj::value& body) {
  json::Fields f(body);
  if (auto m = f.opt_str("model_id"); m && *m != t.model_id) {
    throw_param("'model_id' cannot be changed", "model_id");
  }
  if (auto id = f.opt_str("id"); id && *id != t.id) throw_param("'id' cannot be changed", "id");
  apply_fields(t, f);
  validate_deployment_template(t);
}

}  // namespace hydra::catalog
