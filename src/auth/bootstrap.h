#pragma once
// First start: make sure the platform has an administrator.
#include <optional>
#include <string>

#include "common/config.h"
#include "store/store.h"

namespace hydra::auth {

struct BootstrappedAdmin {
  std::string user_id;
  std::string name;
  // Set only when generated here (no Config::admin_password): the caller
  // prints it once for the operator. It is not logged or stored anywhere.
  std::string generated_password;
};

// Creates Config::admin_user as administrator when no administrator exists,
// with Config::admin_password or a random password. Returns nothing when an
// administrator already exists (safe to call on every start). Throws when
// the configured name belongs to an existing non-administrator.
std::optional<BootstrappedAdmin> ensure_admin(store::Store& st, const Config& cfg);

}  // namespace hydra::auth
