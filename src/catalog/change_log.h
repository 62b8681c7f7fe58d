#pragma once
// Every catalog mutation takes the caller's pre-filled audit event (who,
// from where, which request) and records it with the action it performed,
// inside the transaction that made the change.
#include <string>

#include "audit/audit.h"
#include "store/store.h"

namespace hydra::catalog {

using Actor = audit::Event;

// An actor for changes the system makes on its own (seeding, tests).
Actor system_actor();

void record_change(store::Session& s, const Actor& actor, std::string action,
                   std::string resource_type, std::string resource_id, std::string detail = {});

}  // namespace hydra::catalog
