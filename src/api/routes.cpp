#include "api/routes.h"

namespace hydra::api {

void register_routes(http::Router& router, ApiContext& ctx) {
  register_system_routes(router, ctx);
  register_auth_routes(router, ctx);
  register_user_routes(router, ctx);
  register_workspace_routes(router, ctx);
  register_key_routes(router, ctx);
  register_provider_routes(router, ctx);
  register_model_routes(router, ctx);
  register_maas_routes(router, ctx);
  register_template_routes(router, ctx);
  register_audit_routes(router, ctx);
  register_usage_routes(router, ctx);
  register_limit_routes(router, ctx);
  register_quota_routes(router, ctx);
  register_moderation_routes(router, ctx);
  register_deployment_routes(router, ctx);
  register_model_file_routes(router, ctx);
  register_cluster_routes(router, ctx);
}

}  // namespace hydra::api
