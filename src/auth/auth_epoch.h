#pragma once
// A counter of the committed changes that can make a cached credential
// answer stale. Caches in front of the store (sessions, API keys) keep the
// value they read before their query and compare it on every hit.
#include <cstdint>

#include "store/store.h"

namespace hydra::auth {

// Moves after every committed change in this process that can make a
// resolved session or a verified API key stale: logout, revocation, a user
// updated or deleted, a key deleted, a membership removed, a workspace
// deleted. Caches of resolve() and verify_key() answers compare it.
uint64_t auth_epoch();
// Moves auth_epoch() once the transaction of `s` commits.
void invalidate_auth_caches_on_commit(store::Session& s);

}  // namespace hydra::auth
