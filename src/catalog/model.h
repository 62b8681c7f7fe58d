#pragma once
// A catalog model: the ModelHub `ModelSpec` as the platform stores it.
#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "catalog/json_columns.h"

namespace hydra::catalog {

struct ModelLink {
  std::string description;
  std::string url;
};

// Repository names the model files can be fetched from.
struct ModelSources {
  std::string huggingface;
  std::string modelscope;
};

struct Model {
  std::string id;
  std::string display_name;
  Localized description;
  std::string provider_id;  // may be empty
  std::vector<std::string> tags;
  ModelSources sources;
  int64_t max_tokens = 0;  // config.maxTokens; 0 when unknown
  std::string icon;
  std::vector<ModelLink> links;
  // Suggested deployments as imported, in ModelSpec shape (informational;
  // the editable copies are deployment templates).
  boost::json::array deployments;
  bool published = false;
  double price_input = 0;   // per 1M input tokens
  double price_output = 0;  // per 1M output tokens
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

boost::json::object to_json(const Model& m);
// Create body; strict. Unknown fields are PARAM_ERROR.
Model model_from_json(const boost::json::value& body);
// Patch body: any subset of the create fields except id.
void apply_model_patch(Model& m, const boost::json::value& body);
// Checks and normalises (tags upper-cased, de-duplicated).
void validate_model(Model& m);

}  // namespace hydra::catalog
