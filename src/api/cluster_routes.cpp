// /api/v1/clusters: where deployments run (DESIGN.md §§2–3). Administrators
// create a cluster and get its join token once; the cluster's agent
// presents that token on the agent routes to pull its desired deployments
// and to heartbeat capacity and replica states.
#include "api/auth_views.h"
#include "api/routes.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "deploy/agent_protocol.h"
#include "deploy/change_signal.h"
#include "deploy/cluster.h"

namespace hydra::api {
namespace {

namespace bj = boost::json;

bj::object cluster_view(ApiContext& ctx, const deploy::Cluster& c) {
  bj::object o = deploy::to_json(c);
  auto n = deploy::count_cluster_replicas(ctx.store, c.name);
  o["deployments"] = n.deployments;
  o["replicas"] = n.replicas;
  o["ready_replicas"] = n.ready;
  return o;
}

deploy::Cluster existing(ApiContext& ctx, const std::string& key) {
  deploy::mark_silent_clusters(ctx.store, now_ms());
  auto c = deploy::find_cluster(ctx.store, key);
  if (!c) throw_not_found("cluster");
  return *c;
}

audit::Event cluster_event(const auth::Caller& c, const char* action, const deploy::Cluster& cl) {
  audit::Event e = audit_event(c, action, "cluster", cl.id);
  e.detail = "name=" + cl.name + " backend=" + cl.backend;
  return e;
}

http::Response list_clusters(ApiContext& ctx, http::Request& req) {
  require_admin(ctx, req);
  PageParams p = page_params(req);
  deploy::mark_silent_clusters(ctx.store, now_ms());
  int64_t total = 0;
  bj::array items;
  for (const auto& c : deploy::list_clusters(ctx.store, p.offset(), p.page_size, &total)) {
    items.push_back(cluster_view(ctx, c));
  }
  return ok(page_body(std::move(items), total, p));
}

http::Response create_cluster(ApiContext& ctx, http::Request& req) {
  auth::Caller caller = require_admin(ctx, req);
  bj::value body = json::parse(req.body);
  json::Fields f(body);
  deploy::Cluster c;
  c.name = f.str("name");
  c.region = f.opt_str("region").value_or("");
  c.backend = f.opt_str("backend").value_or("local");
  c.gateway_url = f.opt_str("gateway_url").value_or("");
  c.description = f.opt_str("description").value_or("");
  f.done();
  c.created_by = caller.user_id;
  std::string token;
  transact_or_conflict(ctx.store, [&](store::Session& s) {
    token = deploy::insert_cluster(s, c);
    audit::record(s, cluster_event(caller, "CreateCluster", c));
  });
  bj::object o = cluster_view(ctx, c);
  o["token"] = token;  // shown this once
  return ok(o, 201);
}

http::Response get_cluster(ApiContext& ctx, http::Request& req) {
  require_admin(ctx, req);
  return ok(cluster_view(ctx, existing(ctx, req.param("name"))));
}

http::Response delete_cluster(ApiContext& ctx, http::Request& req) {
  auth::Caller caller = require_admin(ctx, req);
  deploy::Cluster c = existing(ctx, req.param("name"));
  if (c.name == deploy::kLocalCluster) {
    throw_param("the local cluster belongs to this server and cannot be deleted", "name");
  }
  ctx.store.transact([&](store::Session& s) {
    deploy::delete_cluster(s, c);
    audit::record(s, cluster_event(caller, "DeleteCluster", c));
  });
  return http::Response::no_content();
}

http::Response rotate_token(ApiContext& ctx, http::Request& req) {
  auth::Caller caller = require_admin(ctx, req);
  deploy::Cluster c = existing(ctx, req.param("name"));
  if (c.name == deploy::kLocalCluster) {
    throw_param("the local cluster's agent runs inside this server and needs no token", "name");
  }
  std::string token;
  ctx.store.transact([&](store::Session& s) {
    token = deploy::rotate_cluster_token(s, c.name);
    audit::record(s, cluster_event(caller, "RotateClusterToken", c));
  });
  return ok(bj::object{{"name", c.name}, {"token", token}});
}

deploy::Cluster agent_cluster(ApiContext& ctx, http::Request& req) {
  std::string name = req.param("name");
  deploy::Cluster c = deploy::authenticate_agent(ctx.store, name, presented_session_token(req));
  if (c.name == deploy::kLocalCluster) {
    throw_forbidden("the local cluster is run by the server itself");
  }
  return c;
}

http::Response agent_deployments(ApiContext& ctx, http::Request& req) {
  deploy::Cluster c = agent_cluster(ctx, req);
  return ok(deploy::desired_deployments(ctx.store, c.name));
}

http::Response agent_heartbeat(ApiContext& ctx, http::Request& req) {
  deploy::Cluster c = agent_cluster(ctx, req);
  bj::value body = json::parse(req.body);
  deploy::AgentReport report = deploy::agent_report_from_json(body);
  if (report.agent.backend != c.backend) {
    throw_param("cluster '" + c.name + "' is declared with backend " + c.backend +
                    ", the agent runs " + report.agent.backend,
                "backend");
  }
  std::string before = deploy::record_heartbeat(ctx.store, c.name, report.agent, report.capacity);
  if (before != deploy::cluster_state::kReachable) {
    spdlog::info("cluster {}: agent on {} is reachable", c.name, report.agent.host);
  }
  if (deploy::apply_agent_report(ctx.store, c, report, ctx.config.data_dir)) {
    deploy::notify_deployments_changed();
  }
  return ok(bj::object{{"name", c.name}, {"state", deploy::cluster_state::kReachable}});
}

}  // namespace

void register_cluster_routes(http::Router& r, ApiContext& ctx) {
  auto bind = [&ctx](http::Response (*fn)(ApiContext&, http::Request&)) {
    return [&ctx, fn](http::Request& req) { return fn(ctx, req); };
  };
  r.add("GET", "/api/v1/clusters", bind(list_clusters),
        "List clusters with state, capacity and replica counts (admin)");
  r.add("POST", "/api/v1/clusters", bind(create_cluster),
        "Create a cluster {name, region, backend, gateway_url, description}; answers its agent "
        "join token once (admin)");
  r.add("GET", "/api/v1/clusters/{name}", bind(get_cluster), "Get a cluster (admin)");
  r.add("DELETE", "/api/v1/clusters/{name}", bind(delete_cluster),
        "Delete a cluster without deployments (admin)");
  r.add("POST", "/api/v1/clusters/{name}/token", bind(rotate_token),
        "Issue a new agent join token; the old one stops working (admin)");
  r.add("GET", "/api/v1/clusters/{name}/agent/deployments", bind(agent_deployments),
        "The desired deployments of the cluster, for its agent (Bearer join token)");
  r.add("POST", "/api/v1/clusters/{name}/agent/heartbeat", bind(agent_heartbeat),
        "Agent heartbeat: capacity and observed replica states (Bearer join token)");
}

}  // namespace hydra::api
