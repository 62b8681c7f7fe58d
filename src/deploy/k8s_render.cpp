#include "deploy/k8s_render.h"

#include <boost/json.hpp>
#include <cmath>

#include "common/error.h"
#include "common/random.h"
#include "deploy/go_template.h"
#include "deploy/replica_command.h"

namespace hydra::deploy {
namespace {

namespace bj = boost::json;

std::string plural(const std::string& kind) {
  if (kind == "Namespace") return "namespaces";
  if (kind == "Service") return "services";
  if (kind == "Deployment") return "deployments";
  if (kind == "LeaderWorkerSet") return "leaderworkersets";
  if (kind == "Dataset") return "datasets";
  throw std::logic_error("no REST resource for kind " + kind);
}

// A label value the API server takes: at most 63 characters of
// [-A-Za-z0-9_.], beginning and ending with a letter or digit. Deployment
// names run to 64 characters, so the longest lose their last one(s).
std::string label_value(const std::string& s) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  std::string v;
  for (char c : s) v += alnum(c) || c == '-' || c == '_' || c == '.' ? c : '-';
  if (v.size() > 63) v.resize(63);
  while (!v.empty() && !alnum(v.back())) v.pop_back();
  size_t start = 0;
  while (start < v.size() && !alnum(v[start])) ++start;
  return v.substr(start);
}

bj::object labels(const Deployment& d) {
  return bj::object{{"app.kubernetes.io/name", "hydra-model"},
                    {kManagedByLabel, "hydra"},
                    {kDeploymentLabel, d.id},
                    {"hydra.io/name", label_value(d.name)}};
}

bj::object metadata(const Deployment& d, const std::string& name, bool namespaced) {
  bj::object m{{"name", name}, {"labels", labels(d)}};
  if (namespaced) m["namespace"] = d.name_space;
  m["annotations"] = bj::object{{"hydra.io/access-name", d.access_name}};
  return m;
}

KubeObject object(const Deployment& d, std::string api_version, std::string kind,
                  const std::string& name, bool namespaced) {
  KubeObject o;
  o.api_version = std::move(api_version);
  o.kind = std::move(kind);
  o.name = name;
  o.name_space = namespaced ? d.name_space : "";
  o.body = bj::object{
      {"apiVersion", o.api_version}, {"kind", o.kind}, {"metadata", metadata(d, name, namespaced)}};
  return o;
}

std::string cpu_quantity(double cores) {
  if (std::floor(cores) == cores) return std::to_string(static_cast<int64_t>(cores));
  return std::to_string(static_cast<int64_t>(std::llround(cores * 1000))) + "m";
}

std::string memory_quantity(double gb) {
  return std::to_string(static_cast<int64_t>(std::llround(gb * 1024))) + "Mi";
}

std::string pick_image(const KubeRenderInput& in) {
  const std::string& gpu = in.placement.resources.gpu_type;
  if (auto img = match_image(in.image_rules, in.runtime.name, gpu)) return *img;
  for (const std::string& key : {gpu, std::string("default"), std::string("cpu")}) {
    auto it = in.runtime.images.find(key);
    if (it != in.runtime.images.end()) return it->second;
  }
  throw_param("runtime '" + in.runtime.name + "' has no container image for gpu type '" + gpu +
                  "' (set images in the runtime template or the agent's image rules)",
              "runtime");
}

bj::object resources(const KubePlacement& p) {
  bj::object requests, limits;
  if (p.resources.cpu > 0) requests["cpu"] = cpu_quantity(p.resources.cpu);
  if (p.resources.memory > 0) {
    requests["memory"] = memory_quantity(p.resources.memory);
    limits["memory"] = memory_quantity(p.resources.memory);
  }
  if (p.resources.gpu_count > 0) {
    requests["nvidia.com/gpu"] = std::to_string(p.resources.gpu_count);
    limits["nvidia.com/gpu"] = std::to_string(p.resources.gpu_count);
  }
  bj::object r;
  if (!requests.empty()) r["requests"] = std::move(requests);
  if (!limits.empty()) r["limits"] = std::move(limits);
  return r;
}

bj::array string_array(const std::vector<std::string>& v) {
  bj::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

// One pod's template: the runtime's command rendered for a leader or a worker.
bj::object pod_template(const KubeRenderInput& in, bool leader, const bj::object& pod_labels) {
  const Deployment& d = in.deployment;
  bool distributed = uses_leader_worker_set(in.placement);
  bool dataset = !dataset_source(d.model_path).type.empty();
  bj::object vars = template_variables(d, kKubeModelPort);
  vars["MODEL_HOST"] = "0.0.0.0";
  vars["MODEL_PATH"] = dataset ? std::string(kKubeModelDir) : d.model_path;
  vars["IS_DISTRIBUTED"] = distributed;
  vars["IS_LEADER"] = leader;
  vars["TP_SIZE"] = in.placement.distributed.tp;
  vars["PP_SIZE"] = in.placement.distributed.pp;
  RuntimeSpec spec;
  spec.runtime = in.runtime.name;
  if (!in.runtime.command.empty()) spec.command_template = {in.runtime.command};
  spec.args_template = in.runtime.args;
  RenderedCommand cmd = render_runtime(spec, vars);

  bj::array env;
  bj::value data(vars);
  for (const auto& [k, v] : in.runtime.env) {
    env.push_back(bj::object{{"name", k}, {"value", render_go_template(v, data)}});
  }
  for (const auto& [k, v] : d.env) env.push_back(bj::object{{"name", k}, {"value", v}});

  bj::object container{{"name", "runtime"}, {"image", pick_image(in)}};
  if (!cmd.command.empty()) container["command"] = string_array(cmd.command);
  if (!cmd.args.empty()) container["args"] = string_array(cmd.args);
  if (!env.empty()) container["env"] = std::move(env);
  bj::object res = resources(in.placement);
  if (!res.empty()) container["resources"] = std::move(res);
  if (leader) {
    container["ports"] = bj::array{
        bj::object{{"name", "http"}, {"containerPort", kKubeModelPort}, {"protocol", "TCP"}}};
    container["readinessProbe"] =
        bj::object{{"httpGet", bj::object{{"path", "/health"}, {"port", kKubeModelPort}}},
                   {"periodSeconds", 5},
                   {"failureThreshold", 2}};
  }
  bj::object spec_o;
  if (dataset) {
    container["volumeMounts"] =
        bj::array{bj::object{{"name", "model"}, {"mountPath", kKubeModelDir}, {"readOnly", true}}};
    spec_o["volumes"] =
        bj::array{bj::object{{"name", "model"},
                             {"persistentVolumeClaim",
                              bj::object{{"claimName", in.dataset_claim}, {"readOnly", true}}}}};
  }
  spec_o["containers"] = bj::array{std::move(container)};
  return bj::object{{"metadata", bj::object{{"labels", pod_labels}}}, {"spec", std::move(spec_o)}};
}

KubeObject deployment_object(const KubeRenderInput& in, const std::string& name) {
  const Deployment& d = in.deployment;
  KubeObject o = object(d, "apps/v1", "Deployment", name, true);
  int64_t replicas = d.desired == desired::kRunning ? d.replicas : 0;
  o.body["spec"] =
      bj::object{{"replicas", replicas},
                 {"selector", bj::object{{"matchLabels", bj::object{{kDeploymentLabel, d.id}}}}},
                 {"template", pod_template(in, true, labels(d))}};
  return o;
}

KubeObject lws_object(const KubeRenderInput& in, const std::string& name) {
  const Deployment& d = in.deployment;
  KubeObject o = object(d, "leaderworkerset.x-k8s.io/v1", "LeaderWorkerSet", name, true);
  int64_t replicas = d.desired == desired::kRunning ? d.replicas : 0;
  o.body["spec"] = bj::object{
      {"replicas", replicas},
      {"startupPolicy", "LeaderCreated"},
      {"leaderWorkerTemplate", bj::object{{"size", in.placement.distributed.nodes},
                                          {"restartPolicy", "RecreateGroupOnPodRestart"},
                                          {"leaderTemplate", pod_template(in, true, labels(d))},
                                          {"workerTemplate", pod_template(in, false, labels(d))}}}};
  return o;
}

KubeObject service_object(const KubeRenderInput& in, const std::string& name) {
  const Deployment& d = in.deployment;
  KubeObject o = object(d, "v1", "Service", name, true);
  bj::object selector{{kDeploymentLabel, d.id}};
  // Only leaders serve; workers of a group take part through the leader.
  if (uses_leader_worker_set(in.placement)) selector[kLwsWorkerIndexLabel] = "0";
  o.body["spec"] = bj::object{{"type", "ClusterIP"},
                              {"selector", std::move(selector)},
                              {"ports", bj::array{bj::object{{"name", "http"},
                                                             {"port", kKubeModelPort},
                                                             {"targetPort", kKubeModelPort},
                                                             {"protocol", "TCP"}}}}};
  return o;
}

KubeObject dataset_object(const Deployment& d, const std::string& name, const DatasetSource& src) {
  KubeObject o = object(d, "dataset.baizeai.io/v1alpha1", "Dataset", name + "-model", true);
  o.body["spec"] =
      bj::object{{"source", bj::object{{"type", src.type}, {"uri", src.uri}}}, {"share", false}};
  return o;
}

bool starts_with(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

}  // namespace

std::string KubeObject::path() const {
  std::string base =
      api_version.find('/') == std::string::npos ? "/api/" + api_version : "/apis/" + api_version;
  if (!name_space.empty()) base += "/namespaces/" + name_space;
  return base + "/" + plural(kind) + "/" + name;
}

std::string kube_object_name(const Deployment& d) {
  std::string base = d.name.substr(0, 40);
  while (!base.empty() && base.back() == '-') base.pop_back();
  return base + "-" + sha256_hex(d.id).substr(0, 8);
}

DatasetSource dataset_source(const std::string& p) {
  if (starts_with(p, "huggingface://")) return {"HUGGING_FACE", p};
  if (starts_with(p, "modelscope://")) return {"MODEL_SCOPE", p};
  if (starts_with(p, "s3://")) return {"S3", p};
  if (starts_with(p, "nfs://")) return {"NFS", p};
  if (starts_with(p, "pvc://")) return {"PVC", p};
  if (starts_with(p, "conda://")) return {"CONDA", p};
  if (starts_with(p, "git://") || starts_with(p, "git+") ||
      (p.size() > 4 && p.compare(p.size() - 4, 4, ".git") == 0)) {
    return {"GIT", p};
  }
  if (starts_with(p, "http://") || starts_with(p, "https://")) return {"HTTP", p};
  return {};
}

bj::object to_json(const KubePlacement& p) {
  return bj::object{{"gpu_type", p.resources.gpu_type},
                    {"gpu_count", p.resources.gpu_count},
                    {"per_gpu_memory_gb", p.resources.per_gpu_memory_gb},
                    {"cpu", p.resources.cpu},
                    {"memory", p.resources.memory},
                    {"tp", p.distributed.tp},
                    {"pp", p.distributed.pp},
                    {"nodes", p.distributed.nodes}};
}

KubePlacement placement_from_json(const bj::value& v) {
  KubePlacement p;
  if (!v.is_object()) return p;
  const auto& o = v.get_object();
  auto num = [&](const char* k, double dflt) {
    auto* x = o.if_contains(k);
    return x && x->is_number() ? x->to_number<double>() : dflt;
  };
  if (auto* g = o.if_contains("gpu_type"); g && g->is_string())
    p.resources.gpu_type = g->get_string();
  p.resources.gpu_count = static_cast<int64_t>(num("gpu_count", 0));
  p.resources.per_gpu_memory_gb = num("per_gpu_memory_gb", 0);
  p.resources.cpu = num("cpu", 0);
  p.resources.memory = num("memory", 0);
  p.distributed.tp = std::max<int64_t>(1, static_cast<int64_t>(num("tp", 1)));
  p.distributed.pp = std::max<int64_t>(1, static_cast<int64_t>(num("pp", 1)));
  p.distributed.nodes = std::max<int64_t>(1, static_cast<int64_t>(num("nodes", 1)));
  return p;
}

bool uses_leader_worker_set(const KubePlacement& p) {
  return p.distributed.nodes > 1;
}

std::vector<KubeObject> render_kube_objects(const KubeRenderInput& in) {
  const Deployment& d = in.deployment;
  std::string name = kube_object_name(d);
  std::vector<KubeObject> out;
  if (d.name_space != "default") {
    KubeObject ns = object(d, "v1", "Namespace", d.name_space, false);
    ns.body["metadata"].as_object()["labels"] = bj::object{{kManagedByLabel, "hydra"}};
    ns.body["metadata"].as_object().erase("annotations");
    out.push_back(std::move(ns));
  }
  DatasetSource src = dataset_source(d.model_path);
  if (!src.type.empty()) {
    out.push_back(dataset_object(d, name, src));
    if (in.dataset_claim.empty()) return out;  // the workload waits for the files
  }
  out.push_back(uses_leader_worker_set(in.placement) ? lws_object(in, name)
                                                     : deployment_object(in, name));
  out.push_back(service_object(in, name));
  return out;
}

}  // namespace hydra::deploy
