#pragma once
// Batch import of parsed ModelHub items into the catalog. Each model goes
// in with its own transaction, so one refused item (already there, or
// invalid) never stops the others.
#include <boost/json.hpp>
#include <string>
#include <vector>

#include "catalog/change_log.h"
#include "catalog/modelhub.h"
#include "store/store.h"

namespace hydra::catalog {

struct ImportOptions {
  bool dry_run = false;  // report what would happen; write nothing
  bool publish = false;  // publish the models created
};

struct ImportResult {
  std::string id;
  std::string status;  // created | exists | invalid (in a dry run: what would happen)
  std::string reason;
  std::vector<std::string> warnings;
  size_t templates = 0;  // deployment templates created with the model
};

// Writes, per created model: the provider when new (CreateModelProvider),
// the model with its tags and templates, and an ImportModel audit event.
std::vector<ImportResult> import_models(store::Store& st, const std::vector<ImportItem>& items,
                                        const ImportOptions& opts, const Actor& actor);

// {"dry_run", "created", "exists", "invalid", "items": [{id, status, reason, warnings, templates}]}
boost::json::object to_json(const std::vector<ImportResult>& results, bool dry_run);

}  // namespace hydra::catalog
