#include "auth/bootstrap.h"

#include <stdexcept>

#include "audit/audit.h"
#include "auth/password.h"
#include "auth/users.h"
#include "common/random.h"

namespace hydra::auth {
namespace {

bool has_admin(store::Store& st) {
  return !st.query("SELECT id FROM users WHERE role = 'admin' LIMIT 1").empty();
}

}  // namespace

BootstrapResult ensure_admin(store::Store& st, const Config& cfg) {
  // Warm the dummy hash used for unknown users at login, so the first
  // failed login is not measurably slower than the others.
  (void)dummy_password_hash();
  if (has_admin(st)) return {};

  BootstrapResult out;
  out.name = cfg.admin_user;
  std::string password = cfg.admin_password;
  if (password.empty()) {
    password = random_token(18);  // 24 characters, 144 bits
    out.password = password;
    out.generated = true;
  }
  NewUser u;
  u.name = cfg.admin_user;
  u.display_name = "Administrator";
  u.role = "admin";
  u.password_hash = hash_password(password);  // before the transaction: it is slow

  st.transact([&](store::Session& s) {
    // Re-checked under the write lock: two processes starting together
    // create one administrator.
    if (!s.query("SELECT id FROM users WHERE role = 'admin' LIMIT 1").empty()) return;
    if (find_user_by_name(s, u.name)) {
      throw std::runtime_error("no administrator exists, and user '" + u.name +
                               "' is not one; set admin_user (HYDRA_ADMIN_USER) to a free name");
    }
    User admin = create_user(s, u);
    out.user_id = admin.id;
    audit::Event e;
    e.actor_name = "system";
    e.action = "CreateUser";
    e.resource_type = "user";
    e.resource_id = admin.id;
    e.workspace_id = admin.id;
    e.detail = "first administrator '" + admin.name + "'";
    audit::record(s, std::move(e));
    out.created = true;
  });
  if (!out.created) return {};
  return out;
}

}  // namespace hydra::auth
