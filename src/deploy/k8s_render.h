#pragma once
// The Kubernetes objects of one deployment (DESIGN.md §6): a Deployment
// and a Service for single-node replicas, a LeaderWorkerSet (and the
// Service in front of its leaders) for replicas spread over several nodes
// (tensor/pipeline parallel), a Namespace when the deployment's is not
// `default`, and a BaizeAI Dataset when the model files come from a source
// (huggingface://, modelscope://, http(s)://, s3://, git, nfs://, pvc://)
// instead of a path already present in the image or on the node.
#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "catalog/deployment_template.h"
#include "catalog/runtime_template.h"
#include "deploy/deployment.h"
#include "deploy/runtime_config.h"

namespace hydra::deploy {

inline constexpr int kKubeModelPort = 8000;
inline constexpr const char* kKubeModelDir = "/models";
inline constexpr const char* kDeploymentLabel = "hydra.io/deployment";
inline constexpr const char* kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr const char* kLwsWorkerIndexLabel = "leaderworkerset.sigs.k8s.io/worker-index";

struct KubeObject {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string name_space;  // "" for cluster-scoped kinds (Namespace)
  boost::json::object body;
  // The REST path of this object, e.g. /apis/apps/v1/namespaces/ns/deployments/name.
  std::string path() const;
};

// Where the pods go and what they need, from the deployment template.
struct KubePlacement {
  catalog::Resources resources;
  catalog::Distributed distributed;
};

// As sent to agents next to each deployment (from its deployment template).
boost::json::object to_json(const KubePlacement& p);
KubePlacement placement_from_json(const boost::json::value& v);

struct KubeRenderInput {
  Deployment deployment;
  catalog::RuntimeTemplate runtime;
  KubePlacement placement;
  std::vector<ImageRule> image_rules;  // the agent's deployment_templates:, tried first
  // The claim holding the model files once the Dataset is ready ("" while
  // it is not: then no workload is rendered yet).
  std::string dataset_claim;
};

// The object name of a deployment's resources: its name (shortened) plus
// a hash of its id, so equal names from two workspaces never collide.
std::string kube_object_name(const Deployment& d);

// A BaizeAI dataset source for the model path: {type, uri}; empty type
// when the path is a plain path used in place.
struct DatasetSource {
  std::string type;
  std::string uri;
};
DatasetSource dataset_source(const std::string& model_path);

// Every object, in apply order (Namespace, Dataset, workload, Service).
// The workload is left out while a Dataset is needed and not yet ready.
// PARAM_ERROR when no container image fits the runtime and GPU type.
std::vector<KubeObject> render_kube_objects(const KubeRenderInput& in);

// The workload only kinds: true for multi-node placements.
bool uses_leader_worker_set(const KubePlacement& p);

}  // namespace hydra::deploy
