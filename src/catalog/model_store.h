#pragma once
// Catalog models in the store: CRUD, filtered listing, publishing.
#include <optional>
#include <string>
#include <vector>

#include "catalog/change_log.h"
#include "catalog/model.h"
#include "store/store.h"

namespace hydra::catalog {

struct ModelFilter {
  std::vector<std::string> providers;  // any of these (empty: all)
  std::vector<std::string> tags;       // models carrying ANY of these tags (empty: all)
  std::string keyword;  // case-insensitive substring of id, display name or descriptions
  std::optional<bool> published;
  int64_t offset = 0;
  int64_t limit = 20;
};

struct ModelPage {
  std::vector<Model> items;
  int64_t total = 0;
};

// Ordered by id, so pages are stable while rows are added elsewhere.
ModelPage list_models(store::Store& st, const ModelFilter& filter);
std::optional<Model> find_model(store::Session& s, const std::string& id);
Model get_model(store::Store& st, const std::string& id);  // 404 when missing
bool model_exists(store::Session& s, const std::string& id);

// Inside an open transaction: the row and its tags. 409 when the id exists;
// 400 when the provider does not.
void insert_model(store::Session& s, Model& m);

Model create_model(store::Store& st, Model m, const Actor& actor);
Model update_model(store::Store& st, const std::string& id, const boost::json::value& patch,
                   const Actor& actor);
// Also removes its tags and deployment templates.
void delete_model(store::Store& st, const std::string& id, const Actor& actor);
Model set_published(store::Store& st, const std::string& id, bool published, const Actor& actor);

}  // namespace hydra::catalog
