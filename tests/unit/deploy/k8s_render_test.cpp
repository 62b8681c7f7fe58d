// The Kubernetes objects of a deployment validate twice:
// - against the official Kubernetes API types (k8s_official_check.py, run
//   on Debian's python3-kubernetes, whose models are generated from the
//   official OpenAPI document): Deployment, Service and Namespace whole,
//   a LeaderWorkerSet's leader and worker pod templates, every object's
//   metadata. Unknown fields, wrong JSON types and missing required fields
//   fail;
// - against the schemas below (trimmed from the official OpenAPI of apps/v1
//   Deployment, v1 Service, v1 Namespace and LeaderWorkerSet v1, keeping the
//   fields the renderer may write plus the API server's name rules, enums
//   and int32 ranges, which the client's types do not carry) and the BaizeAI
//   Dataset CRD read from the shared test data at test time. The LWS
//   envelope (size, restartPolicy, startupPolicy) is checked only here.
#include "deploy/k8s_render.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/json.hpp>
#include <sstream>

#include "catalog/runtime_template.h"
#include "common/error.h"
#include "k8s_official.h"
#include "k8s_schema.h"

namespace hydra::deploy {
namespace {

namespace bj = boost::json;
using testing::official_check;
using testing::schema_errors;

// --- trimmed Kubernetes schemas -------------------------------------------

bj::value J(const char* text) {
  return bj::parse(text);
}

const char* kQuantity =
    R"({"x-kubernetes-int-or-string":true,"pattern":"^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$"})";
// DNS-1123 label (Service, Namespace names) and subdomain (most other names).
const char* kDnsLabel =
    R"({"type":"string","maxLength":63,"pattern":"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"})";
const char* kDnsSubdomain =
    R"({"type":"string","maxLength":253,"pattern":"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"})";
const char* kStringMap = R"({"type":"object","additionalProperties":{"type":"string"}})";
// Label values: the API server's rule (apimachinery validation, not in the
// OpenAPI document).
const char* kLabelMap =
    R"({"type":"object","additionalProperties":{"type":"string","maxLength":63,"pattern":"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"}})";

bj::object object_meta(const char* name_schema) {
  return bj::object{{"type", "object"},
                    {"properties", bj::object{{"name", J(name_schema)},
                                              {"namespace", J(kDnsLabel)},
                                              {"labels", J(kLabelMap)},
                                              {"annotations", J(kStringMap)}}}};
}

bj::object container_schema() {
  bj::object quantities{{"type", "object"}, {"additionalProperties", J(kQuantity)}};
  bj::object strings{{"type", "array"}, {"items", J(R"({"type":"string"})")}};
  return bj::object{
      {"type", "object"},
      {"required", bj::array{"name"}},
      {"properties",
       bj::object{
           {"name", J(kDnsLabel)},
           {"image", J(R"({"type":"string"})")},
           {"command", strings},
           {"args", strings},
           {"env",
            J(R"({"type":"array","items":{"type":"object","required":["name"],"properties":{"name":{"type":"string"},"value":{"type":"string"}}}})")},
           {"ports",
            J(R"({"type":"array","items":{"type":"object","required":["containerPort"],"properties":{"name":{"type":"string","maxLength":15},"containerPort":{"type":"integer","format":"int32","minimum":1},"protocol":{"type":"string","enum":["TCP","UDP","SCTP"]}}}})")},
           {"readinessProbe",
            J(R"({"type":"object","properties":{"httpGet":{"type":"object","required":["port"],"properties":{"path":{"type":"string"},"port":{"x-kubernetes-int-or-string":true},"scheme":{"type":"string","enum":["HTTP","HTTPS"]}}},"periodSeconds":{"type":"integer","format":"int32"},"failureThreshold":{"type":"integer","format":"int32"},"initialDelaySeconds":{"type":"integer","format":"int32"}}})")},
           {"resources", bj::object{{"type", "object"},
                                    {"properties", bj::object{{"requests", quantities},
                                                              {"limits", quantities}}}}},
           {"volumeMounts",
            J(R"({"type":"array","items":{"type":"object","required":["name","mountPath"],"properties":{"name":{"type":"string"},"mountPath":{"type":"string"},"readOnly":{"type":"boolean"}}}})")}}}};
}

bj::object pod_template_schema() {
  bj::object spec{
      {"type", "object"},
      {"required", bj::array{"containers"}},
      {"properties",
       bj::object{
           {"containers", bj::object{{"type", "array"}, {"items", container_schema()}}},
           {"volumes",
            J(R"({"type":"array","items":{"type":"object","required":["name"],"properties":{"name":{"type":"string"},"persistentVolumeClaim":{"type":"object","required":["claimName"],"properties":{"claimName":{"type":"string"},"readOnly":{"type":"boolean"}}}}}})")}}}};
  bj::object meta{{"type", "object"}, {"properties", bj::object{{"labels", J(kLabelMap)}}}};
  return bj::object{{"type", "object"},
                    {"properties", bj::object{{"metadata", meta}, {"spec", spec}}}};
}

bj::value top(const char* api_version, const char* name_schema, bj::object spec) {
  return bj::object{
      {"type", "object"},
      {"required", bj::array{"apiVersion", "kind", "metadata"}},
      {"properties",
       bj::object{{"apiVersion", bj::object{{"type", "string"}, {"enum", bj::array{api_version}}}},
                  {"kind", J(R"({"type":"string"})")},
                  {"metadata", object_meta(name_schema)},
                  {"spec", std::move(spec)}}}};
}

bj::value deployment_schema() {
  bj::object selector =
      J(R"({"type":"object","properties":{"matchLabels":{"type":"object","additionalProperties":{"type":"string"}}}})")
          .as_object();
  return top(
      "apps/v1", kDnsSubdomain,
      bj::object{{"type", "object"},
                 {"required", bj::array{"selector", "template"}},
                 {"properties",
                  bj::object{{"replicas", J(R"({"type":"integer","format":"int32","minimum":0})")},
                             {"selector", selector},
                             {"template", pod_template_schema()}}}});
}

bj::value service_schema() {
  return top(
      "v1", kDnsLabel,
      J(R"({"type":"object","properties":{"type":{"type":"string","enum":["ClusterIP","NodePort","LoadBalancer","ExternalName"]},"selector":{"type":"object","additionalProperties":{"type":"string"}},"ports":{"type":"array","items":{"type":"object","required":["port"],"properties":{"name":{"type":"string"},"port":{"type":"integer","format":"int32","minimum":1},"targetPort":{"x-kubernetes-int-or-string":true},"protocol":{"type":"string","enum":["TCP","UDP","SCTP"]}}}}}})")
          .as_object());
}

bj::value namespace_schema() {
  return top(
      "v1", kDnsLabel,
      J(R"({"type":"object","properties":{"finalizers":{"type":"array","items":{"type":"string"}}}})")
          .as_object());
}

bj::value lws_schema() {
  bj::object lwt{
      {"type", "object"},
      {"required", bj::array{"workerTemplate"}},
      {"properties",
       bj::object{{"size", J(R"({"type":"integer","format":"int32","minimum":1})")},
                  {"restartPolicy",
                   J(R"({"type":"string","enum":["RecreateGroupOnPodRestart","Default","None"]})")},
                  {"leaderTemplate", pod_template_schema()},
                  {"workerTemplate", pod_template_schema()}}}};
  return top(
      "leaderworkerset.x-k8s.io/v1", kDnsLabel,
      bj::object{{"type", "object"},
                 {"required", bj::array{"leaderWorkerTemplate"}},
                 {"properties",
                  bj::object{{"replicas", J(R"({"type":"integer","format":"int32","minimum":0})")},
                             {"startupPolicy",
                              J(R"({"type":"string","enum":["LeaderCreated","LeaderReady"]})")},
                             {"leaderWorkerTemplate", lwt}}}});
}

// YAML (the CRD file) to JSON, scalars typed as YAML 1.2 core would type them.
bj::value to_json(const YAML::Node& n) {
  if (n.IsMap()) {
    bj::object o;
    for (const auto& kv : n) o[kv.first.as<std::string>()] = to_json(kv.second);
    return o;
  }
  if (n.IsSequence()) {
    bj::array a;
    for (const auto& x : n) a.push_back(to_json(x));
    return a;
  }
  if (n.IsNull()) return nullptr;
  std::string s = n.as<std::string>();
  if (n.Tag() == "!") return bj::value(s);  // quoted
  if (s == "true" || s == "false") return s == "true";
  try {
    size_t used = 0;
    long long v = std::stoll(s, &used);
    if (used == s.size()) return v;
  } catch (const std::exception&) {
  }
  return bj::value(s);
}

bj::value dataset_schema() {
  YAML::Node crd = YAML::LoadFile(std::string(HYDRA_TESTDATA_DIR) +
                                  "/k8s-crds/dataset.baizeai.io_datasets.yaml");
  for (const auto& v : crd["spec"]["versions"]) {
    if (v["name"].as<std::string>() == "v1alpha1") return to_json(v["schema"]["openAPIV3Schema"]);
  }
  throw std::runtime_error("no v1alpha1 in the Dataset CRD");
}

// --- the objects -----------------------------------------------------------

KubeRenderInput input(const std::string& model_path, const std::string& ns = "team-a") {
  KubeRenderInput in;
  Deployment& d = in.deployment;
  d.id = "0190a1b2c3d4e5f6a7b8c9";
  d.name = "qwen-chat";
  d.access_name = "u-1234/qwen-chat";
  d.served_model_name = "qwen2.5-7b";
  d.runtime = "vllm";
  d.model_path = model_path;
  d.replicas = 2;
  d.name_space = ns;
  d.custom_args = {"--max-model-len", "8192"};
  d.env = {{"HF_HUB_OFFLINE", "1"}};
  for (const auto& rt : catalog::builtin_runtime_templates()) {
    if (rt.name == "vllm") in.runtime = rt;
  }
  in.placement.resources.cpu = 4;
  in.placement.resources.memory = 16.5;
  in.placement.resources.gpu_type = "gpu";
  in.placement.resources.gpu_count = 1;
  in.dataset_claim = "qwen-chat-pvc";
  return in;
}

const KubeObject* find_kind(const std::vector<KubeObject>& objs, const std::string& kind) {
  for (const auto& o : objs) {
    if (o.kind == kind) return &o;
  }
  return nullptr;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

bj::value schema_for(const std::string& kind) {
  if (kind == "Deployment") return deployment_schema();
  if (kind == "Service") return service_schema();
  if (kind == "Namespace") return namespace_schema();
  if (kind == "LeaderWorkerSet") return lws_schema();
  if (kind == "Dataset") return dataset_schema();
  throw std::runtime_error("no schema for " + kind);
}

// The checker's input files: one a rendered object, named after its kind and name.
std::vector<std::pair<std::string, bj::value>> official_inputs(const std::vector<KubeObject>& objs,
                                                               const std::string& tag = "") {
  std::vector<std::pair<std::string, bj::value>> files;
  for (const auto& o : objs) files.emplace_back(tag + o.kind + "-" + o.name, o.body);
  return files;
}

void expect_officially_valid(const std::vector<std::pair<std::string, bj::value>>& files) {
  auto r = official_check(files);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("valid against kubernetes client"), std::string::npos) << r.output;
}

void expect_valid(const std::vector<KubeObject>& objs) {
  for (const auto& o : objs) {
    auto errors = schema_errors(o.body, schema_for(o.kind));
    EXPECT_TRUE(errors.empty()) << o.kind << " " << o.name << ":\n" << joined(errors);
  }
  if (!objs.empty()) expect_officially_valid(official_inputs(objs));
}

TEST(KubeRender, SingleNodeReplicasAreADeploymentAndAServiceThatValidate) {
  auto objs = render_kube_objects(input("huggingface://Qwen/Qwen2.5-7B-Instruct"));
  ASSERT_EQ(objs.size(), 4u);
  EXPECT_EQ(objs[0].kind, "Namespace");
  EXPECT_EQ(objs[1].kind, "Dataset");
  EXPECT_EQ(objs[2].kind, "Deployment");
  EXPECT_EQ(objs[3].kind, "Service");
  expect_valid(objs);

  const bj::object& dep = find_kind(objs, "Deployment")->body;
  EXPECT_EQ(dep.at("spec").at("replicas").as_int64(), 2);
  const auto& pod = dep.at("spec").at("template").at("spec").as_object();
  const auto& c = pod.at("containers").at(0).as_object();
  EXPECT_EQ(c.at("image").as_string(), "vllm/vllm-openai:v0.8.5");
  std::string args = bj::serialize(c.at("args"));
  EXPECT_NE(args.find(R"("serve","/models")"), std::string::npos) << args;
  EXPECT_NE(args.find(R"("--host","0.0.0.0","--port","8000")"), std::string::npos) << args;
  EXPECT_NE(args.find(R"("--max-model-len","8192")"), std::string::npos) << args;
  EXPECT_EQ(c.at("resources").at("requests").at("cpu").as_string(), "4");
  EXPECT_EQ(c.at("resources").at("requests").at("memory").as_string(), "16896Mi");
  EXPECT_EQ(c.at("resources").at("limits").at("nvidia.com/gpu").as_string(), "1");
  EXPECT_EQ(pod.at("volumes").at(0).at("persistentVolumeClaim").at("claimName").as_string(),
            "qwen-chat-pvc");
  // The selector matches the pod labels (the API server refuses otherwise).
  const auto& sel = dep.at("spec").at("selector").at("matchLabels").as_object();
  const auto& labels = dep.at("spec").at("template").at("metadata").at("labels").as_object();
  for (const auto& kv : sel) EXPECT_EQ(labels.at(kv.key()), kv.value());
  const auto& svc = find_kind(objs, "Service")->body;
  EXPECT_EQ(svc.at("spec").at("selector"), dep.at("spec").at("selector").at("matchLabels"));

  const auto& ds = find_kind(objs, "Dataset")->body;
  EXPECT_EQ(ds.at("spec").at("source").at("type").as_string(), "HUGGING_FACE");
  EXPECT_EQ(find_kind(objs, "Deployment")->path(), "/apis/apps/v1/namespaces/team-a/deployments/" +
                                                       kube_object_name(input("").deployment));
  EXPECT_EQ(find_kind(objs, "Namespace")->path(), "/api/v1/namespaces/team-a");
  EXPECT_EQ(find_kind(objs, "Dataset")
                ->path()
                .rfind("/apis/dataset.baizeai.io/v1alpha1/namespaces/team-a/datasets/", 0),
            0u);
}

TEST(KubeRender, WorkloadWaitsForTheDatasetAndDefaultNamespaceIsNotRendered) {
  KubeRenderInput in = input("s3://models/qwen", "default");
  in.dataset_claim.clear();
  auto objs = render_kube_objects(in);
  ASSERT_EQ(objs.size(), 1u);
  EXPECT_EQ(objs[0].kind, "Dataset");
  EXPECT_EQ(objs[0].body.at("spec").at("source").at("type").as_string(), "S3");
  expect_valid(objs);

  // A path already in the image: no Dataset, no volume, the path as is.
  auto plain = render_kube_objects(input("/opt/models/qwen", "default"));
  ASSERT_EQ(plain.size(), 2u);
  expect_valid(plain);
  const auto& pod = plain[0].body.at("spec").at("template").at("spec").as_object();
  EXPECT_FALSE(pod.contains("volumes"));
  EXPECT_NE(bj::serialize(pod.at("containers").at(0).at("args")).find("/opt/models/qwen"),
            std::string::npos);
}

TEST(KubeRender, MultiNodeReplicasAreALeaderWorkerSetThatValidates) {
  KubeRenderInput in = input("modelscope://Qwen/Qwen2.5-72B-Instruct");
  in.placement.distributed = catalog::Distributed{8, 2, 2};
  in.placement.resources.gpu_count = 8;
  auto objs = render_kube_objects(in);
  expect_valid(objs);
  ASSERT_TRUE(find_kind(objs, "LeaderWorkerSet"));
  EXPECT_FALSE(find_kind(objs, "Deployment"));
  const auto& lws = find_kind(objs, "LeaderWorkerSet")->body.at("spec").as_object();
  EXPECT_EQ(lws.at("replicas").as_int64(), 2);
  EXPECT_EQ(lws.at("leaderWorkerTemplate").at("size").as_int64(), 2);
  std::string leader = bj::serialize(lws.at("leaderWorkerTemplate").at("leaderTemplate"));
  std::string worker = bj::serialize(lws.at("leaderWorkerTemplate").at("workerTemplate"));
  EXPECT_NE(leader.find(R"("--tensor-parallel-size","8")"), std::string::npos) << leader;
  EXPECT_NE(leader.find(R"("--pipeline-parallel-size","2")"), std::string::npos);
  EXPECT_NE(leader.find("readinessProbe"), std::string::npos);
  EXPECT_EQ(worker.find("readinessProbe"), std::string::npos);  // workers do not serve
  const auto& svc = find_kind(objs, "Service")->body;
  EXPECT_EQ(svc.at("spec").at("selector").at(kLwsWorkerIndexLabel).as_string(), "0");
}

TEST(KubeRender, StoppedDeploymentsScaleToZeroAndNamesStayShortAndDistinct) {
  KubeRenderInput in = input("/opt/m", "default");
  in.deployment.desired = desired::kStopped;
  in.deployment.name = std::string(64, 'a');
  auto objs = render_kube_objects(in);
  expect_valid(objs);
  EXPECT_EQ(objs[0].body.at("spec").at("replicas").as_int64(), 0);
  EXPECT_LE(objs[0].name.size(), 63u);
  // A 64-character deployment name (the longest allowed) is cut to a valid
  // label value, ending in a letter or digit.
  EXPECT_EQ(objs[0].body.at("metadata").at("labels").at("hydra.io/name").as_string(),
            std::string(63, 'a'));
  in.deployment.name = std::string(62, 'a') + "-b";
  auto cut = render_kube_objects(in);
  expect_valid(cut);
  EXPECT_EQ(cut[0].body.at("metadata").at("labels").at("hydra.io/name").as_string(),
            std::string(62, 'a'));
  EXPECT_EQ(cut[0]
                .body.at("spec")
                .at("template")
                .at("metadata")
                .at("labels")
                .at("hydra.io/name")
                .as_string(),
            std::string(62, 'a'));
  Deployment other = in.deployment;
  other.id = "another-id";
  EXPECT_NE(kube_object_name(other), kube_object_name(in.deployment));
}

TEST(KubeRender, MissingImageIsAParamError) {
  KubeRenderInput in = input("/opt/m", "default");
  in.runtime.images.clear();
  try {
    render_kube_objects(in);
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kParamError);
  }
  // The agent's image rules win over the runtime's own images.
  in.image_rules = {ImageRule{{"vllm"}, {"gpu"}, "registry.local/vllm:v1"}};
  auto objs = render_kube_objects(in);
  EXPECT_EQ(objs[0].body.at("spec").at("template").at("spec").at("containers").at(0).at("image"),
            "registry.local/vllm:v1");
}

TEST(KubeRender, DatasetSourcesByScheme) {
  EXPECT_EQ(dataset_source("huggingface://a/b").type, "HUGGING_FACE");
  EXPECT_EQ(dataset_source("modelscope://a/b").type, "MODEL_SCOPE");
  EXPECT_EQ(dataset_source("https://example.com/m/").type, "HTTP");
  EXPECT_EQ(dataset_source("https://example.com/m.git").type, "GIT");
  EXPECT_EQ(dataset_source("nfs://server/export").type, "NFS");
  EXPECT_EQ(dataset_source("pvc://claim/sub").type, "PVC");
  EXPECT_EQ(dataset_source("/models/x").type, "");
}

// The checker itself catches what the API server would refuse.
TEST(KubeSchemaCheck, RejectsWrongTypesUnknownFieldsAndBadNames) {
  KubeRenderInput in = input("/opt/m", "default");
  auto objs = render_kube_objects(in);
  bj::value bad = objs[0].body;
  bad.at("spec").at("template").at("spec").at("containers").at(0).as_object()["ports"] =
      J(R"([{"containerPort":"8000"}])");
  EXPECT_FALSE(schema_errors(bad, deployment_schema()).empty());
  bad = objs[0].body;
  bad.at("spec").as_object()["replica"] = 3;
  EXPECT_FALSE(schema_errors(bad, deployment_schema()).empty());
  bad = objs[1].body;
  bad.at("metadata").as_object()["name"] = "Bad_Name";
  EXPECT_FALSE(schema_errors(bad, service_schema()).empty());
  bad = objs[1].body;
  bad.at("spec").as_object().erase("selector");
  bad.at("spec").at("ports").at(0).as_object().erase("port");
  EXPECT_FALSE(schema_errors(bad, service_schema()).empty());
  bj::value ds = J(
      R"({"apiVersion":"dataset.baizeai.io/v1alpha1","kind":"Dataset","metadata":{"name":"x"},"spec":{"source":{"type":"FTP","uri":"x"}}})");
  EXPECT_FALSE(schema_errors(ds, dataset_schema()).empty());
  ds.at("spec").at("source").as_object()["type"] = "HTTP";
  EXPECT_TRUE(schema_errors(ds, dataset_schema()).empty());
  ds.at("spec").at("source").as_object().erase("uri");
  EXPECT_FALSE(schema_errors(ds, dataset_schema()).empty());
}

// Every builtin runtime, single- and multi-node, with and without a
// Dataset, in its own namespace or `default`, running or stopped: every
// object the backend renders builds as its official Kubernetes type.
TEST(KubeOfficialTypes, EveryRenderedObjectOfEveryBuiltinRuntimeValidates) {
  std::vector<std::pair<std::string, bj::value>> files;
  size_t n = 0;
  for (const auto& rt : catalog::builtin_runtime_templates()) {
    for (bool multi : {false, true}) {
      for (const char* path : {"huggingface://Qwen/Qwen2.5-7B-Instruct", "/opt/models/qwen"}) {
        KubeRenderInput in = input(path, multi ? "default" : "team-a");
        in.runtime = rt;
        // Runtimes without images of their own get one from the agent's rules.
        in.image_rules = {ImageRule{{rt.name}, {"gpu"}, "registry.local/" + rt.name + ":v1"}};
        if (multi) {
          in.placement.distributed = catalog::Distributed{8, 2, 2};
          in.placement.resources.gpu_count = 8;
          in.deployment.desired = desired::kStopped;
        }
        auto objs = render_kube_objects(in);
        ASSERT_TRUE(find_kind(objs, "Service")) << rt.name;
        auto more = official_inputs(objs, std::to_string(n++) + "-" + rt.name + "-");
        files.insert(files.end(), more.begin(), more.end());
      }
    }
  }
  ASSERT_GE(files.size(), 24u);
  expect_officially_valid(files);
}

// The official check cannot pass silently: broken copies of rendered
// objects are refused with the JSON path of each fault.
TEST(KubeOfficialTypes, BrokenCopiesAreRefusedWithTheirPaths) {
  auto single = render_kube_objects(input("huggingface://Qwen/Qwen2.5-7B-Instruct"));
  const bj::value dep = find_kind(single, "Deployment")->body;
  const bj::value svc = find_kind(single, "Service")->body;
  KubeRenderInput multi_in = input("/opt/m", "default");
  multi_in.placement.distributed = catalog::Distributed{8, 2, 2};
  const bj::value lws = find_kind(render_kube_objects(multi_in), "LeaderWorkerSet")->body;
  auto container = [](bj::value& pod_template) -> bj::object& {
    return pod_template.at("spec").at("containers").at(0).as_object();
  };

  std::vector<std::pair<std::string, bj::value>> files;
  bj::value b = dep;
  container(b.at("spec").at("template"))["imagePullSecret"] = "regcred";  // unknown field
  files.emplace_back("unknown-field", b);
  b = dep;
  container(b.at("spec").at("template"))["ports"].at(0).as_object()["containerPort"] = "8000";
  files.emplace_back("string-for-int", b);
  b = dep;
  container(b.at("spec").at("template")).erase("name");
  files.emplace_back("missing-name", b);
  b = dep;
  b.at("spec").as_object()["replicas"] = true;
  files.emplace_back("bool-for-int", b);
  b = svc;
  b.at("spec").at("ports").at(0).as_object().erase("port");
  b.at("spec").as_object()["selector"] = bj::array{"a"};
  files.emplace_back("service", b);
  b = lws;
  container(b.at("spec").at("leaderWorkerTemplate").at("workerTemplate"))["env"] = "A=1";
  files.emplace_back("lws-worker", b);
  b = lws;
  b.at("metadata").as_object()["labels"] = bj::object{{"n", 1}};
  files.emplace_back("lws-metadata", b);
  b = dep;
  b.at("spec").at("template").at("spec").as_object().erase("containers");
  files.emplace_back("missing-containers", b);
  files.emplace_back("unknown-kind", bj::parse(R"({"apiVersion":"v1","kind":"Pet"})"));

  auto r = official_check(files);
  EXPECT_EQ(r.status, 1) << r.output;
  const char* containers = "$.spec.template.spec.containers[0]";
  for (const std::string& want : {
           "unknown-field.json Deployment/" + std::string(containers) +
               ".imagePullSecret: unknown field of V1Container",
           "string-for-int.json Deployment/" + std::string(containers) +
               ".ports[0].containerPort: must be an integer, got string",
           "missing-name.json Deployment/" + std::string(containers) +
               ".name: missing required field of V1Container",
           std::string("bool-for-int.json Deployment/") +
               "$.spec.replicas: must be an integer, got boolean",
           std::string("service.json Service/") + "$.spec.ports[0].port: missing required field",
           std::string("service.json Service/") + "$.spec.selector: must be an object",
           std::string("lws-worker.json LeaderWorkerSet/") +
               "$.spec.leaderWorkerTemplate.workerTemplate.spec.containers[0].env: must be an "
               "array",
           std::string("lws-metadata.json LeaderWorkerSet/") +
               "$.metadata.labels[\"n\"]: must be a string, got integer",
           std::string("missing-containers.json Deployment/") +
               "$.spec.template.spec.containers: missing required field of V1PodSpec",
           std::string("unknown-kind.json Pet/None: $: no official type"),
       }) {
    // The object name sits between the kind and the path.
    std::string file = want.substr(0, want.find('/') + 1);
    std::string rest = want.substr(want.find('/') + 1);
    bool found = false;
    std::istringstream lines(r.output);
    for (std::string line; std::getline(lines, line);) {
      found |=
          line.rfind(file, 0) == 0 && line.find(rest.substr(rest.find('$'))) != std::string::npos;
    }
    EXPECT_TRUE(found) << "no error like: " << want << "\nin:\n" << r.output;
  }
  // Nothing else: each broken copy has only the faults put in it.
  size_t lines = std::count(r.output.begin(), r.output.end(), '\n');
  EXPECT_EQ(lines, 10u) << r.output;
}

// Without python3-kubernetes the check fails (exit 3) and says what to
// install; it never passes. `-S` hides Debian's dist-packages.
TEST(KubeOfficialTypes, AMissingClientFailsWithAClearMessage) {
  std::string cmd = "/usr/bin/python3 -S " + std::string(HYDRA_SOURCE_DIR) +
                    "/tests/unit/deploy/k8s_official_check.py /dev/null 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_TRUE(pipe);
  std::string out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof(buf), pipe)) > 0;) out.append(buf, n);
  int status = pclose(pipe);
  ASSERT_TRUE(WIFEXITED(status)) << out;
  EXPECT_EQ(WEXITSTATUS(status), 3) << out;
  EXPECT_NE(out.find("python3-kubernetes is not installed"), std::string::npos) << out;
}

}  // namespace
}  // namespace hydra::deploy
