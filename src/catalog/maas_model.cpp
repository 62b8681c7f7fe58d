#include "catalog/maas_model.h"

#include <boost/url/parse.hpp>

#include "catalog/json_columns.h"
#include "catalog/names.h"
#include "common/error.h"
#include "common/json.h"
#include "common/strings.h"

namespace hydra::catalog {
namespace {

const char* const kPolicies[] = {"round_robin", "random", "weighted", "least_outstanding"};
const char* const kMetrics[] = {"requests", "tokens", "images", "concurrency"};

template <size_t N>
bool one_of(const std::string& v, const char* const (&set)[N]) {
  for (const char* s : set) {
    if (v == s) return true;
  }
  return false;
}

std::vector<MaasEndpoint> decode_endpoints(const bj::value& v) {
  if (!v.is_array()) throw_param("'endpoints' must be an array", "endpoints");
  std::vector<MaasEndpoint> out;
  for (size_t i = 0; i < v.get_array().size(); ++i) {
    json::Fields f(v.get_array()[i], "endpoints[" + std::to_string(i) + "]");
    MaasEndpoint e;
    e.base_url = f.str("base_url");
    e.model = f.str("model");
    e.weight = f.opt_i64("weight").value_or(0);
    e.continuous_usage = f.opt_bool("continuous_usage").value_or(false);
    e.api_key = f.opt_str("api_key");
    f.done();
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<MaasRateLimit> decode_rate_limits(const bj::value& v) {
  if (!v.is_array()) throw_param("'rate_limits' must be an array", "rate_limits");
  std::vector<MaasRateLimit> out;
  for (size_t i = 0; i < v.get_array().size(); ++i) {
    json::Fields f(v.get_array()[i], "rate_limits[" + std::to_string(i) + "]");
    MaasRateLimit r;
    r.metric = f.str("metric");
    r.limit = f.i64("limit");
    r.window_seconds = f.opt_i64("window_seconds").value_or(60);
    f.done();
    out.push_back(r);
  }
  return out;
}

void apply_fields(MaasModel& m, json::Fields& f) {
  if (auto v = f.opt_str("model_id")) m.model_id = *v;
  if (auto v = f.opt_str("display_name")) m.display_name = *v;
  if (auto* v = f.opt_value("endpoints")) m.endpoints = decode_endpoints(*v);
  if (auto v = f.opt_str("lb_policy")) m.lb_policy = *v;
  if (auto* v = f.opt_value("rate_limits")) m.rate_limits = decode_rate_limits(*v);
  if (auto v = f.opt_bool("enabled")) m.enabled = *v;
  if (auto v = f.opt_str("entry_cluster")) m.entry_cluster = *v;
  f.done();
}

void validate_endpoint(const MaasEndpoint& e, size_t i) {
  std::string at = "endpoints[" + std::to_string(i) + "]";
  if (!valid_upstream_url(e.base_url)) {
    throw_param(at + ".base_url '" + e.base_url + "' must be an absolute http or https URL",
                at + ".base_url");
  }
  if (trim(e.model).empty() || e.model.size() > 256) {
    throw_param(at + ".model must name the upstream model", at + ".model");
  }
  if (e.weight < 0 || e.weight > 100) throw_param(at + ".weight must be 0..100", at + ".weight");
  if (e.api_key && e.api_key->size() > 4096)
    throw_param(at + ".api_key is too long", at + ".api_key");
}

}  // namespace

bool valid_upstream_url(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return false;
  std::string scheme = to_lower(parsed->scheme());
  if (scheme != "http" && scheme != "https") return false;
  return parsed->has_authority() && !parsed->host().empty();
}

bj::object to_json(const MaasModel& m) {
  bj::array endpoints;
  for (const auto& e : m.endpoints) {
    endpoints.push_back(bj::object{{"base_url", e.base_url},
                                   {"model", e.model},
                                   {"weight", e.weight},
                                   {"continuous_usage", e.continuous_usage},
                                   {"has_api_key", !e.sealed_key.empty()},
                                   {"api_key_masked", e.masked_key}});
  }
  bj::array limits;
  for (const auto& r : m.rate_limits) {
    limits.push_back(
        bj::object{{"metric", r.metric}, {"limit", r.limit}, {"window_seconds", r.window_seconds}});
  }
  return {{"id", m.id},
          {"access_name", m.access_name()},
          {"model_id", m.model_id},
          {"display_name", m.display_name},
          {"endpoints", std::move(endpoints)},
          {"lb_policy", m.lb_policy},
          {"rate_limits", std::move(limits)},
          {"enabled", m.enabled},
          {"entry_cluster", m.entry_cluster},
          {"created_at", m.created_at},
          {"updated_at", m.updated_at}};
}

void validate_maas_model(const MaasModel& m) {
  check_model_id(m.id);
  if (!m.model_id.empty()) check_model_id(m.model_id, "model_id");
  if (m.display_name.size() > 256) throw_param("'display_name' is too long", "display_name");
  if (m.endpoints.empty()) throw_param("a MaaS model needs at least one endpoint", "endpoints");
  if (m.endpoints.size() > 64) throw_param("at most 64 endpoints", "endpoints");
  for (size_t i = 0; i < m.endpoints.size(); ++i) validate_endpoint(m.endpoints[i], i);
  if (!one_of(m.lb_policy, kPolicies)) {
    throw_param("'lb_policy' must be one of round_robin, random, weighted, least_outstanding",
                "lb_policy");
  }
  if (m.lb_policy == "weighted") {
    int64_t sum = 0;
    for (const auto& e : m.endpoints) sum += e.weight;
    if (sum != 100) {
      throw_param("weighted load balancing needs endpoint weights that sum to 100 (they sum to " +
                      std::to_string(sum) + ")",
                  "endpoints");
    }
  }
  for (size_t i = 0; i < m.rate_limits.size(); ++i) {
    const auto& r = m.rate_limits[i];
    std::string at = "rate_limits[" + std::to_string(i) + "]";
    if (!one_of(r.metric, kMetrics)) {
      throw_param(at + ".metric must be one of requests, tokens, images, concurrency",
                  at + ".metric");
    }
    if (r.limit <= 0) throw_param(at + ".limit must be greater than 0", at + ".limit");
    if (r.window_seconds <= 0) {
      throw_param(at + ".window_seconds must be greater than 0", at + ".window_seconds");
    }
  }
  if (m.entry_cluster.size() > 64) throw_param("'entry_cluster' is too long", "entry_cluster");
}

MaasModel maas_model_from_json(const bj::value& body) {
  json::Fields f(body);
  MaasModel m;
  m.id = f.str("id");
  apply_fields(m, f);
  validate_maas_model(m);
  return m;
}

void apply_maas_patch(MaasModel& m, const bj::value& body) {
  json::Fields f(body);
  if (auto id = f.opt_str("id"); id && *id != m.id) throw_param("'id' cannot be changed", "id");
  apply_fields(m, f);
  validate_maas_model(m);
}

std::string endpoint_api_key(const MaasModel& m, size_t index, const SecretBox& box) {
  if (index >= m.endpoints.size() || m.endpoints[index].sealed_key.empty()) return {};
  return box.open(m.endpoints[index].sealed_key);
}

}  // namespace hydra::catalog
