#pragma once
// Every catalog mutation takes the caller's pre-filled audit event (who,
// from where, which request) and records it with the action it performed,
// inside the transaction that made the change.
#include <cstdint>
#include <string>

#include "audit/audit.h"
#include "store/store.h"

namespace hydra::catalog {

using Actor = audit::Event;

// Counts the catalog changes this process committed. It moves after the
// commit, so an answer cached under a version never predates that version's
// rows. Changes made by other processes sharing the store are not seen here:
// caches keyed by it also expire by time.
uint64_t catalog_version();

// An actor for changes the system makes on its own (seeding, tests).
Actor system_actor();

void record_change(store::Session& s, const Actor& actor, std::string action,
                   std::string resource_type, std::string resource_id, std::string detail = {});

}  // namespace hydra::catalog
