// Management request bodies for rate-limit rules and quotas, the gateway's
// reservation estimate over client bodies, and Redis URLs from settings:
// any bytes either decode or fail with a clear error, never crash or hang.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "common/error.h"
#include "limits/estimate.h"
#include "limits/quota.h"
#include "limits/redis_url.h"
#include "limits/rule.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    hydra::limits::parse_redis_url(text);
  } catch (const std::invalid_argument&) {
  }
  boost::json::error_code ec;
  boost::json::parse_options opts;
  opts.max_depth = 64;
  boost::json::value v = boost::json::parse(text, ec, {}, opts);
  if (ec) return 0;
  try {
    auto r = hydra::limits::rule_from_json(v);
    (void)hydra::limits::to_json(r);
  } catch (const hydra::ApiError&) {
  }
  try {
    auto q = hydra::limits::quota_from_json(v);
    (void)hydra::limits::to_json(q);
  } catch (const hydra::ApiError&) {
  }
  if (v.is_object()) {
    for (const char* path : {"/chat/completions", "/embeddings", "/images/generations"}) {
      auto e = hydra::limits::estimate_request(v.get_object(), path);
      if (e.tokens < 0 || e.images < 0) __builtin_trap();
    }
  }
  return 0;
}
