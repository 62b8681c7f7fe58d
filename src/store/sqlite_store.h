#pragma once
#include <memory>
#include <string>

#include "store/store.h"

namespace hydra::store {

// SQLite in WAL mode. Writers are serialised in-process (one transaction at a
// time, BEGIN IMMEDIATE) and readers use a pool of connections.
std::unique_ptr<Store> open_sqlite(const std::string& path, const StoreOptions& opts);

}  // namespace hydra::store
