#include "engine/model/kv_blocks.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"

namespace hydra::engine {
namespace {

uint64_t mix(uint64_t h, uint64_t v) {
  // splitmix64 finaliser over a running sum: cheap, well spread.
  h += v + 0x9e3779b97f4a7c15ull;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

void check_type(const Model& model, GgmlType type) {
  if (type != GgmlType::kF32 && type != GgmlType::kF16 && type != GgmlType::kQ8_0) {
    throw_param("the KV cache type must be f32, f16 or q8_0", "kv_cache_dtype");
  }
  if (model.head_dim() % static_cast<int64_t>(type_info(type).block_size) != 0) {
    throw_param("a " + std::string(type_name(type)) +
                    " KV cache needs a head size that is a "
                    "multiple of " +
                    std::to_string(type_info(type).block_size),
                "kv_cache_dtype");
  }
}

}  // namespace

size_t KvBlocks::bytes_per_block(const Model& model, GgmlType type, int64_t block_size) {
  const int64_t kv_dim = model.n_head_kv() * model.head_dim();
  return static_cast<size_t>(model.config.num_hidden_layers) * 2 * static_cast<size_t>(block_size) *
         row_size(type, kv_dim);
}

int64_t KvBlocks::blocks_for_bytes(const Model& model, GgmlType type, int64_t block_size,
                                   int64_t bytes) {
  const auto per = static_cast<int64_t>(bytes_per_block(model, type, block_size));
  return std::max<int64_t>(1, bytes / per);
}

KvBlocks::KvBlocks(const Model& model, int64_t n_blocks, GgmlType type, int64_t block_size)
    : n_layers_(model.config.num_hidden_layers),
      kv_dim_(model.n_head_kv() * model.head_dim()),
      block_size_(block_size),
      n_blocks_(n_blocks),
      type_(type) {
  check_type(model, type);
  if (n_blocks <= 0 || block_size <= 0) throw_param("the KV cache must hold at least one block");
  row_bytes_ = row_size(type, kv_dim_);
  block_bytes_ = bytes_per_block(model, type, block_size);
  // Not value-initialised: pages become resident only when a block is used.
  storage_.reset(new uint8_t[block_bytes_ * static_cast<size_t>(n_blocks)]);
  info_.resize(static_cast<size_t>(n_blocks));
  tokens_.resize(static_cast<size_t>(n_blocks * block_size));
  free_.reserve(static_cast<size_t>(n_blocks));
  for (int64_t b = n_blocks - 1; b >= 0; --b) free_.push_back(static_cast<int32_t>(b));
}

int32_t KvBlocks::allocate() {
  int32_t b = -1;
  if (!free_.empty()) {
    b = free_.back();
    free_.pop_back();
  } else if (cached_ > 0) {
    // Evict the least recently used cached prefix block.
    uint64_t oldest = UINT64_MAX;
    for (size_t i = 0; i < info_.size(); ++i) {
      if (info_[i].refs == 0 && info_[i].published && info_[i].last_use < oldest) {
        oldest = info_[i].last_use;
        b = static_cast<int32_t>(i);
      }
    }
    unpublish(b);
    --cached_;
  } else {
    return -1;
  }
  info_[static_cast<size_t>(b)].refs = 1;
  info_[static_cast<size_t>(b)].last_use = ++clock_;
  ++used_;
  return b;
}

void KvBlocks::retain(int32_t block) {
  Info& in = info_[static_cast<size_t>(block)];
  if (in.refs++ == 0) {
    ++used_;
    if (in.published) --cached_;
  }
  in.last_use = ++clock_;
}

void KvBlocks::release(int32_t block) {
  Info& in = info_[static_cast<size_t>(block)];
  if (--in.refs > 0) return;
  --used_;
  if (in.published) {
    ++cached_;
  } else {
    free_.push_back(block);
  }
}

bool KvBlocks::shared(int32_t block) const {
  const Info& in = info_[static_cast<size_t>(block)];
  return in.refs > 1 || in.published;
}

void KvBlocks::copy_block(int32_t from, int32_t to) {
  std::memcpy(storage_.get() + static_cast<size_t>(to) * block_bytes_,
              storage_.get() + static_cast<size_t>(from) * block_bytes_, block_bytes_);
}

int64_t KvBlocks::available() const {
  return static_cast<int64_t>(free_.size()) + cached_;
}

uint64_t KvBlocks::chain_hash(uint64_t parent, std::span<const int32_t> tokens) {
  uint64_t h = mix(parent, tokens.size());
  for (int32_t t : tokens) h = mix(h, static_cast<uint32_t>(t));
  return h;
}

int32_t KvBlocks::find(uint64_t parent, std::span<const int32_t> tokens) {
  ++queries_;
  const uint64_t h = chain_hash(parent, tokens);
  auto [lo, hi] = by_hash_.equal_range(h);
  for (auto it = lo; it != hi; ++it) {
    const int32_t b = it->second;
    const Info& in = info_[static_cast<size_t>(b)];
    const int32_t* held = tokens_.data() + static_cast<size_t>(b) * block_size_;
    if (in.parent == parent && std::equal(tokens.begin(), tokens.end(), held)) {
      retain(b);
      ++hits_;
      return b;
    }
  }
  return -1;
}

uint64_t KvBlocks::publish(int32_t block, uint64_t parent, std::span<const int32_t> tokens) {
  const uint64_t h = chain_hash(parent, tokens);
  Info& in = info_[static_cast<size_t>(block)];
  if (in.published) return h;
  auto [lo, hi] = by_hash_.equal_range(h);
  for (auto it = lo; it != hi; ++it) {
    const int32_t other = it->second;
    const int32_t* held = tokens_.data() + static_cast<size_t>(other) * block_size_;
    if (info_[static_cast<size_t>(other)].parent == parent &&
        std::equal(tokens.begin(), tokens.end(), held)) {
      return h;  // the same prefix is already cached in another block
    }
  }
  in.published = true;
  in.hash = h;
  in.parent = parent;
  std::copy(tokens.begin(), tokens.end(),
            tokens_.begin() + static_cast<ptrdiff_t>(block) * block_size_);
  by_hash_.emplace(h, block);
  return h;
}

void KvBlocks::unpublish(int32_t block) {
  Info& in = info_[static_cast<size_t>(block)];
  auto [lo, hi] = by_hash_.equal_range(in.hash);
  for (auto it = lo; it != hi; ++it) {
    if (it->second == block) {
      by_hash_.erase(it);
      break;
    }
  }
  in.published = false;
}

KvBlockStats KvBlocks::stats() const {
  KvBlockStats s;
  s.total_blocks = n_blocks_;
  s.used_blocks = used_;
  s.cached_blocks = cached_;
  s.prefix_queries = queries_;
  s.prefix_hits = hits_;
  return s;
}

}  // namespace hydra::engine
