#pragma once
// Who is making a management request, resolved from a session token.
#include <string>

namespace hydra::auth {

struct Caller {
  std::string user_id;
  std::string user_name;
  std::string role;          // "admin" or "user"
  std::string workspace_id;  // the personal workspace, or the one chosen with X-Hydra-Workspace
  std::string source_ip;
  std::string request_id;
  bool admin() const { return role == "admin"; }
};

}  // namespace hydra::auth
