#pragma once
// Prices per model and the cost of a request. A catalog model carries
// prices per 1M input and output tokens; a MaaS route `public/<id>` costs
// what the catalog model it serves costs. Cached prompt tokens are billed
// as input tokens (no separate cached price exists yet).
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "store/store.h"

namespace hydra::metering {

struct Price {
  double input_per_m = 0;   // per 1M prompt tokens
  double output_per_m = 0;  // per 1M completion tokens
};

double cost_of(const Price& p, int64_t prompt_tokens, int64_t completion_tokens);

// Route name -> price, read from the store (maas_models joined with models)
// and cached for `ttl_ms`, so a price change applies to records written
// after it. Thread-safe.
class PriceBook {
 public:
  explicit PriceBook(store::Store& st, int64_t ttl_ms = 5000) : store_(st), ttl_ms_(ttl_ms) {}
  Price price_of(const std::string& route_name);
  // The price as last read, never touching the store: for the request path,
  // which must not block on it (the recorder's writes keep the book fresh).
  Price cached_price_of(const std::string& route_name);
  // Reads the prices now.
  void reload();

 private:
  store::Store& store_;
  int64_t ttl_ms_;
  std::mutex mu_;
  std::map<std::string, Price> prices_;
  int64_t loaded_at_ = -1;
};

}  // namespace hydra::metering
