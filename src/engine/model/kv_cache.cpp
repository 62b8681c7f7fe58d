#include "engine/model/kv_cache.h"

#include "common/error.h"

namespace hydra::engine {

KvCache::KvCache(const Model& model, int64_t ctx)
    : n_layers(model.config.num_hidden_layers),
      n_ctx(ctx),
      kv_dim(model.n_head_kv() * model.head_dim()) {
  if (ctx <= 0) throw_param("context size must be positive");
  k.assign(static_cast<size_t>(n_layers * n_ctx * kv_dim), 0.0f);
  v.assign(k.size(), 0.0f);
}

void KvCache::truncate(int64_t pos) {
  if (pos < n_past) n_past = pos < 0 ? 0 : pos;
}

}  // namespace hydra::engine
