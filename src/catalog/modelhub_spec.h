#pragma once
// Reading one ModelSpec node into an ImportItem (internal to the importer).
#include <string>

#include "catalog/modelhub.h"
#include "catalog/yaml_reader.h"

namespace hydra::catalog {

// Never throws for a bad spec (the problem goes into item.error); throws
// ApiError only when the reader's budget runs out.
ImportItem read_model_spec(YamlReader& r, const YAML::Node& node, size_t index,
                           const std::string& fallback_name);

// One suggested deployment; appends to item.templates and
// item.model.deployments, or adds a warning when it is unusable.
void read_suggested_deployment(YamlReader& r, const YAML::Node& node, ImportItem& item);

}  // namespace hydra::catalog
