#pragma once
// First start: make sure the platform has an administrator.
#include <string>

#include "common/config.h"
#include "store/store.h"

namespace hydra::auth {

struct BootstrapResult {
  bool created = false;  // false: an administrator already existed
  std::string user_id;
  std::string name;
  // Set only when generated here (no Config::admin_password): the caller
  // prints it once for the operator. It is not logged or stored anywhere.
  // A configured password is not echoed back.
  std::string password;
  bool generated = false;
};

// Creates Config::admin_user as administrator when no administrator exists,
// with Config::admin_password or a random password. Does nothing when an
// administrator already exists (safe to call on every start). Throws when
// the configured name belongs to an existing non-administrator.
BootstrapResult ensure_admin(store::Store& st, const Config& cfg);

}  // namespace hydra::auth
