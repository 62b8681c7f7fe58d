#pragma once
// Model providers (Alibaba, DeepSeek, ...): the organisations a model comes
// from, shown with their icon on the model square.
#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/change_log.h"
#include "catalog/json_columns.h"
#include "store/store.h"

namespace hydra::catalog {

struct Provider {
  std::string id;
  Localized name;
  std::string icon;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

boost::json::object to_json(const Provider& p);
// Create body: {"id", "name": {"enUS", "zhCN"}, "icon"}; strict.
Provider provider_from_json(const boost::json::value& body);
// Patch body: "name" and/or "icon"; the id never changes.
void apply_provider_patch(Provider& p, const boost::json::value& body);
void validate_provider(const Provider& p);

std::vector<Provider> list_providers(store::Store& st);
std::optional<Provider> find_provider(store::Session& s, const std::string& id);
Provider get_provider(store::Store& st, const std::string& id);  // 404 when missing

// Inserts inside an open transaction (used by create and by the importer).
void insert_provider(store::Session& s, Provider& p);

Provider create_provider(store::Store& st, Provider p, const Actor& actor);
Provider update_provider(store::Store& st, const std::string& id, const boost::json::value& patch,
                         const Actor& actor);
// 409 while models still name the provider.
void delete_provider(store::Store& st, const std::string& id, const Actor& actor);

}  // namespace hydra::catalog
