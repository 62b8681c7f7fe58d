#pragma once
// One registration function per resource area; each lives in its own file.
#include "api/context.h"

namespace hydra::api {

void register_system_routes(http::Router& r, ApiContext& ctx);     // system_routes.cpp
void register_auth_routes(http::Router& r, ApiContext& ctx);       // auth_routes.cpp
void register_user_routes(http::Router& r, ApiContext& ctx);       // user_routes.cpp
void register_workspace_routes(http::Router& r, ApiContext& ctx);  // workspace_routes.cpp
void register_key_routes(http::Router& r, ApiContext& ctx);        // key_routes.cpp
void register_provider_routes(http::Router& r, ApiContext& ctx);   // provider_routes.cpp
void register_model_routes(http::Router& r, ApiContext& ctx);      // model_routes.cpp
void register_maas_routes(http::Router& r, ApiContext& ctx);       // maas_routes.cpp
void register_template_routes(http::Router& r, ApiContext& ctx);   // template_routes.cpp
void register_audit_routes(http::Router& r, ApiContext& ctx);      // audit_routes.cpp
void register_usage_routes(http::Router& r, ApiContext& ctx);      // usage_routes.cpp
void register_limit_routes(http::Router& r, ApiContext& ctx);      // limit_routes.cpp
void register_quota_routes(http::Router& r, ApiContext& ctx);      // quota_routes.cpp
void register_moderation_routes(http::Router& r, ApiContext& ctx);  // moderation_routes.cpp
void register_deployment_routes(http::Router& r, ApiContext& ctx);  // deployment_routes.cpp
void register_model_file_routes(http::Router& r, ApiContext& ctx);  // model_file_routes.cpp
void register_cluster_routes(http::Router& r, ApiContext& ctx);     // cluster_routes.cpp

}  // namespace hydra::api
