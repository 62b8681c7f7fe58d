#pragma once
// Versioned schema migrations, applied in order by both backends. A
// migration is never edited once released: add a new one instead.
#include <string>
#include <vector>

#include "store/store.h"

namespace hydra::store {

struct Migration {
  int version;
  std::string name;
  std::string sql;  // common dialect; `;`-separated statements
};

const std::vector<Migration>& migrations();

// Shared by the backends: creates schema_migrations and applies what is missing.
void apply_migrations(Store& store);

}  // namespace hydra::store
