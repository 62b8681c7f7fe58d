#include "auth/auth_epoch.h"

#include <atomic>

namespace hydra::auth {
namespace {

std::atomic<uint64_t> g_auth_epoch{1};

}  // namespace

uint64_t auth_epoch() {
  return g_auth_epoch.load(std::memory_order_acquire);
}

void invalidate_auth_caches_on_commit(store::Session& s) {
  s.after_commit([] { g_auth_epoch.fetch_add(1, std::memory_order_acq_rel); });
}

}  // namespace hydra::auth
