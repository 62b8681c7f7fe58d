#pragma once
// Parsing of ModelHub model descriptions (apiVersion model.hydra.io/v1alpha1,
// kind ModelSpec): one `metadata.yaml`, or a merged `index.yaml` given as a
// multi-document stream, a sequence of specs, or a mapping with the list
// under `models`, `items` or `entries`. Real files are inconsistent, so the
// parser is lenient: optional fields may be missing, numbers may be strings,
// tags may be in any case, gpuType may be outside the schema's enum, and
// unknown keys are ignored. Problems that stop one model are reported on
// that item; the others still parse.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/deployment_template.h"
#include "catalog/model.h"
#include "catalog/provider.h"

namespace hydra::catalog {

// Largest import text accepted, from any source.
constexpr size_t kMaxImportBytes = 16u << 20;

struct ImportItem {
  size_t index = 0;  // position in the input, from 0
  std::string id;    // the model id ("" when it could not be read)
  std::optional<Provider> provider;
  Model model;
  std::vector<DeploymentTemplate> templates;  // valid suggested deployments
  std::vector<std::string> warnings;
  std::string error;  // non-empty: this item cannot be imported
};

// Throws ApiError(PARAM_ERROR) when the text is not YAML, is too large, or
// holds no model at all; never any other exception for bad input.
std::vector<ImportItem> parse_modelhub(std::string_view text);

}  // namespace hydra::catalog
