#include "metering/pricing.h"

#include "common/clock.h"
#include "common/log.h"

namespace hydra::metering {

double cost_of(const Price& p, int64_t prompt_tokens, int64_t completion_tokens) {
  return (static_cast<double>(prompt_tokens) * p.input_per_m +
          static_cast<double>(completion_tokens) * p.output_per_m) /
         1e6;
}

void PriceBook::reload() {
  std::map<std::string, Price> fresh;
  // The catalog's tables, read directly: metering sits below the catalog
  // module and must not link it.
  auto rows = store_.query(
      "SELECT mm.id AS id, m.price_input AS price_input, m.price_output AS price_output "
      "FROM maas_models mm JOIN models m ON m.id = mm.model_id");
  for (const auto& r : rows) {
    fresh["public/" + r.str("id")] = Price{r.f64("price_input"), r.f64("price_output")};
  }
  std::lock_guard<std::mutex> lock(mu_);
  prices_ = std::move(fresh);
  loaded_at_ = mono_ns() / 1000000;
}

Price PriceBook::price_of(const std::string& route_name) {
  bool stale = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stale = loaded_at_ < 0 || mono_ns() / 1000000 - loaded_at_ >= ttl_ms_;
  }
  if (stale) {
    try {
      reload();
    } catch (const std::exception& e) {
      // Keep the last known prices rather than fail the whole batch.
      spdlog::warn("usage: cannot read prices: {}", e.what());
      std::lock_guard<std::mutex> lock(mu_);
      loaded_at_ = mono_ns() / 1000000;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = prices_.find(route_name);
  return it == prices_.end() ? Price{} : it->second;
}

Price PriceBook::cached_price_of(const std::string& route_name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = prices_.find(route_name);
  return it == prices_.end() ? Price{} : it->second;
}

}  // namespace hydra::metering
