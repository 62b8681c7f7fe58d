#pragma once
// MaaS models: routes from the public access name `public/<id>` to one or
// more upstream OpenAI-compatible endpoints, with load balancing and rate
// limits. Upstream API keys are sealed with a SecretBox before they reach
// the store and never leave the server in an API answer.
#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/change_log.h"
#include "common/secret_box.h"
#include "store/store.h"

namespace hydra::catalog {

struct MaasEndpoint {
  std::string base_url;  // http(s)://host[:port][/path]
  std::string model;     // the upstream's model id
  int64_t weight = 0;    // 0..100; used by the weighted policy
  // The upstream reports cumulative usage on every stream event when asked
  // (vLLM, SGLang, hydra engine: stream_options.continuous_usage_stats), so
  // a stream the client aborts is billed exactly.
  bool continuous_usage = false;
  // Request input only: the plaintext key ("" clears it). Absent on update:
  // keep the key of the stored endpoint with the same base_url and model.
  std::optional<std::string> api_key;
  std::string sealed_key;  // "enc:v1:..." as stored; "" when none
  std::string masked_key;  // "sk-...abcd", for display
};

struct MaasRateLimit {
  std::string metric;  // requests | tokens | images | concurrency
  int64_t limit = 0;
  int64_t window_seconds = 0;
};

struct MaasModel {
  std::string id;
  std::string model_id;  // catalog model it serves ("" when none)
  std::string display_name;
  std::vector<MaasEndpoint> endpoints;
  std::string lb_policy = "round_robin";  // round_robin | random | weighted | least_outstanding
  std::vector<MaasRateLimit> rate_limits;
  bool enabled = false;
  std::string entry_cluster;
  int64_t created_at = 0;
  int64_t updated_at = 0;

  std::string access_name() const { return "public/" + id; }
};

// Never includes a key: only has_api_key and api_key_masked per endpoint.
boost::json::object to_json(const MaasModel& m);
MaasModel maas_model_from_json(const boost::json::value& body);
void apply_maas_patch(MaasModel& m, const boost::json::value& body);
void validate_maas_model(const MaasModel& m);
// True for absolute http/https URLs with a host (checked with Boost.URL).
bool valid_upstream_url(std::string_view url);

std::vector<MaasModel> list_maas_models(store::Store& st);
std::optional<MaasModel> find_maas_model(store::Session& s, const std::string& id);
MaasModel get_maas_model(store::Store& st, const std::string& id);
// The plaintext key of endpoint `index`, for the gateway ("" when none).
std::string endpoint_api_key(const MaasModel& m, size_t index, const SecretBox& box);

MaasModel create_maas_model(store::Store& st, MaasModel m, const SecretBox& box,
                            const Actor& actor);
MaasModel update_maas_model(store::Store& st, const std::string& id,
                            const boost::json::value& patch, const SecretBox& box,
                            const Actor& actor);
void delete_maas_model(store::Store& st, const std::string& id, const Actor& actor);
MaasModel set_maas_enabled(store::Store& st, const std::string& id, bool enabled,
                           const Actor& actor);

}  // namespace hydra::catalog
