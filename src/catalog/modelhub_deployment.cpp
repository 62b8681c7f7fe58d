// Suggested deployments of a ModelSpec become deployment templates.
#include <cmath>

#include "catalog/modelhub_spec.h"
#include "catalog/names.h"
#include "common/strings.h"

namespace hydra::catalog {
namespace {

// "llama.cpp" + "metax-gpu" -> "llama-cpp-metax-gpu": a valid template name.
std::string name_part(std::string_view s) {
  std::string out;
  for (char c : to_lower(s)) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (ok) {
      out.push_back(c);
    } else if (!out.empty() && out.back() != '-') {
      out.push_back('-');
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.substr(0, 28);
}

std::string unique_name(const ImportItem& item, const DeploymentTemplate& t) {
  std::string base = name_part(t.runtime) + "-" + name_part(t.resources.gpu_type);
  if (t.resources.gpu_count > 1) base += "-x" + std::to_string(t.resources.gpu_count);
  std::string name = base;
  for (int n = 2;; ++n) {
    bool taken = false;
    for (const auto& other : item.templates) taken = taken || other.name == name;
    if (!taken) return name;
    name = base + "-" + std::to_string(n);
  }
}

// --max-model-len=4096 or --max-model-len 4096 among the runtime args.
int64_t max_model_len_of(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    std::string value;
    if (starts_with(args[i], "--max-model-len=")) value = args[i].substr(16);
    if (args[i] == "--max-model-len" && i + 1 < args.size()) value = args[i + 1];
    if (value.empty()) continue;
    try {
      size_t used = 0;
      long long n = std::stoll(value, &used);
      if (used == value.size() && n > 0) return n;
    } catch (const std::exception&) {
    }
  }
  return 0;
}

void read_env(YamlReader& r, const std::optional<YAML::Node>& n, DeploymentTemplate& t,
              ImportItem& item) {
  std::vector<std::pair<std::string, std::string>> pairs;
  if (is_seq(n)) {
    for (const auto& e : r.elements(*n, 256)) {
      pairs.emplace_back(r.text(r.child(e, "name")), r.text(r.child(e, "value")));
    }
  } else if (is_map(n)) {
    for (const auto& [k, v] : r.entries(*n, 256)) pairs.emplace_back(trim(k), r.text(v));
  }
  for (auto& [k, v] : pairs) {
    if (!valid_env_name(k)) {
      item.warnings.push_back("env '" + k + "' ignored: not a variable name");
      continue;
    }
    t.env[k] = v;
  }
}

bool whole(double v) {
  return std::isfinite(v) && std::floor(v) == v && std::fabs(v) < 1e9;
}

void read_resources(YamlReader& r, const std::optional<YAML::Node>& n, Resources& res,
                    std::vector<std::string>& warnings) {
  if (!is_map(n)) return;
  auto num = [&](std::string_view key, double& out) {
    auto raw = r.child(*n, key);
    if (!raw) return;
    if (auto v = r.number(raw)) {
      out = *v;
    } else {
      warnings.push_back("resourceRequirements." + std::string(key) + " '" + r.text(raw) +
                         "' is not a number; 0 used");
    }
  };
  num("cpu", res.cpu);
  num("memory", res.memory);
  num("perGPUMemoryGB", res.per_gpu_memory_gb);
  double count = 0;
  num("gpuCount", count);
  if (!whole(count)) warnings.push_back("resourceRequirements.gpuCount is not a whole number");
  res.gpu_count = whole(count) ? static_cast<int64_t>(count) : 0;
  res.gpu_type = to_lower(r.text(r.child(*n, "gpuType")));
  if (res.gpu_type.empty()) res.gpu_type = res.gpu_count > 0 ? "gpu" : "cpu";
}

void read_distributed(YamlReader& r, const std::optional<YAML::Node>& n, Distributed& d) {
  if (!is_map(n)) return;
  auto take = [&](std::initializer_list<std::string_view> keys, int64_t& out) {
    auto v = r.number(r.child_any(*n, keys));
    if (v && whole(*v)) out = static_cast<int64_t>(*v);
  };
  take({"tp", "tensorParallelSize"}, d.tp);
  take({"pp", "pipelineParallelSize"}, d.pp);
  take({"nodes", "nodeCount"}, d.nodes);
}

boost::json::object suggestion_json(const DeploymentTemplate& t) {
  boost::json::array env;
  for (const auto& [k, v] : t.env) env.push_back(boost::json::object{{"name", k}, {"value", v}});
  return {{"runtime", t.runtime},
          {"versionRequired", t.runtime_version},
          {"resourceRequirements",
           {{"cpu", t.resources.cpu},
            {"memory", t.resources.memory},
            {"gpuType", t.resources.gpu_type},
            {"gpuCount", t.resources.gpu_count},
            {"perGPUMemoryGB", t.resources.per_gpu_memory_gb}}},
          {"customRuntimeArgs", to_json(t.custom_args)},
          {"env", std::move(env)}};
}

}  // namespace

void read_suggested_deployment(YamlReader& r, const YAML::Node& node, ImportItem& item) {
  r.spend(32);  // what it produces is large next to the nodes it costs to read
  size_t number = item.model.deployments.size() + 1;
  std::string at = "deployment #" + std::to_string(number);
  if (!node.IsMap()) {
    item.warnings.push_back(at + " skipped: not a mapping");
    return;
  }
  DeploymentTemplate t;
  t.runtime = to_lower(r.text(r.child(node, "runtime")));
  t.runtime_version = r.text(r.child_any(node, {"versionRequired", "version"}));
  std::vector<std::string> warnings;
  read_resources(r, r.child_any(node, {"resourceRequirements", "resources"}), t.resources,
                 warnings);
  t.custom_args = r.strings(r.child_any(node, {"customRuntimeArgs", "args"}), 256);
  t.max_model_len = max_model_len_of(t.custom_args);
  read_env(r, r.child(node, "env"), t, item);
  read_distributed(r, r.child(node, "distributed"), t.distributed);
  for (auto& w : warnings) item.warnings.push_back(at + ": " + w);
  if (t.runtime.empty()) {
    item.warnings.push_back(at + " skipped: no runtime");
    return;
  }
  item.model.deployments.push_back(suggestion_json(t));
  t.name = unique_name(item, t);
  std::string problem = deployment_template_problem(t);
  if (!problem.empty()) {
    item.warnings.push_back(at + " not added as a template: " + problem);
    return;
  }
  item.templates.push_back(std::move(t));
}

}  // namespace hydra::catalog
