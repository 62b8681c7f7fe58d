#include "catalog/change_log.h"

#include <atomic>

namespace hydra::catalog {
namespace {

std::atomic<uint64_t> g_catalog_version{1};

}  // namespace

uint64_t catalog_version() {
  return g_catalog_version.load(std::memory_order_acquire);
}

Actor system_actor() {
  Actor a;
  a.actor_name = "system";
  return a;
}

void record_change(store::Session& s, const Actor& actor, std::string action,
                   std::string resource_type, std::string resource_id, std::string detail) {
  audit::Event e = actor;
  e.id.clear();  // record() assigns a fresh id and time for every event
  e.time = 0;
  e.action = std::move(action);
  e.resource_type = std::move(resource_type);
  e.resource_id = std::move(resource_id);
  if (!detail.empty()) e.detail = std::move(detail);
  audit::record(s, std::move(e));
  s.after_commit([] { g_catalog_version.fetch_add(1, std::memory_order_acq_rel); });
}

}  // namespace hydra::catalog
