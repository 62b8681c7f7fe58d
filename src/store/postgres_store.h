#pragma once
#include <memory>
#include <string>

#include "store/store.h"

namespace hydra::store {

// PostgreSQL through libpq with a pool of connections.
std::unique_ptr<Store> open_postgres(const std::string& url, const StoreOptions& opts);

}  // namespace hydra::store
