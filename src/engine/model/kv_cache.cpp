#include "engine/model/kv_cache.h"

#include <cstring>

#include "common/error.h"

namespace hydra::engine {

KvCache::KvCache(const Model& model, int64_t ctx) : n_ctx(ctx) {
  if (ctx <= 0) throw_param("context size must be positive");
  const int64_t bs = KvBlocks::kDefaultBlockSize;
  store_ = std::make_shared<KvBlocks>(model, (ctx + bs - 1) / bs);
}

KvCache::KvCache(std::shared_ptr<KvBlocks> store, int64_t ctx)
    : n_ctx(ctx), store_(std::move(store)) {
  if (ctx <= 0) throw_param("context size must be positive");
}

KvCache::~KvCache() {
  release_all();
}

KvCache::KvCache(KvCache&& o) noexcept
    : n_ctx(o.n_ctx),
      n_past(o.n_past),
      store_(std::move(o.store_)),
      blocks_(std::move(o.blocks_)),
      hashes_(std::move(o.hashes_)) {
  o.blocks_.clear();
  o.n_past = 0;
}

KvCache& KvCache::operator=(KvCache&& o) noexcept {
  if (this != &o) {
    release_all();
    n_ctx = o.n_ctx;
    n_past = o.n_past;
    store_ = std::move(o.store_);
    blocks_ = std::move(o.blocks_);
    hashes_ = std::move(o.hashes_);
    o.blocks_.clear();
    o.n_past = 0;
  }
  return *this;
}

void KvCache::release_all() {
  if (store_) {
    for (int32_t b : blocks_) store_->release(b);
  }
  blocks_.clear();
  hashes_.clear();
}

bool KvCache::prepare_write(int64_t pos) {
  const auto idx = static_cast<size_t>(pos / block_size());
  if (idx == blocks_.size()) {
    const int32_t b = store_->allocate();
    if (b < 0) return false;
    blocks_.push_back(b);
    return true;
  }
  const int32_t old = blocks_[idx];
  if (!store_->shared(old)) return true;
  const int32_t b = store_->allocate();
  if (b < 0) return false;
  store_->copy_block(old, b);
  store_->release(old);
  blocks_[idx] = b;
  if (hashes_.size() > idx) hashes_.resize(idx);
  return true;
}

uint8_t* KvCache::k_row(int64_t layer, int64_t pos) {
  return store_->k_row(block_at(pos), layer, pos % block_size());
}

uint8_t* KvCache::v_row(int64_t layer, int64_t pos) {
  return store_->v_row(block_at(pos), layer, pos % block_size());
}

void KvCache::truncate(int64_t pos) {
  if (pos >= n_past) return;
  n_past = pos < 0 ? 0 : pos;
  const auto keep = static_cast<size_t>((n_past + block_size() - 1) / block_size());
  while (blocks_.size() > keep) {
    store_->release(blocks_.back());
    blocks_.pop_back();
  }
  const auto full = static_cast<size_t>(n_past / block_size());
  if (hashes_.size() > full) hashes_.resize(full);
}

int64_t KvCache::attach_prefix(std::span<const int32_t> prompt) {
  if (!blocks_.empty() || n_past != 0 || prompt.empty()) return 0;
  const int64_t bs = block_size();
  const int64_t max_blocks = (static_cast<int64_t>(prompt.size()) - 1) / bs;
  uint64_t parent = 0;
  for (int64_t i = 0; i < max_blocks; ++i) {
    const auto tokens = prompt.subspan(static_cast<size_t>(i * bs), static_cast<size_t>(bs));
    const int32_t b = store_->find(parent, tokens);
    if (b < 0) break;
    blocks_.push_back(b);
    parent = KvBlocks::chain_hash(parent, tokens);
    hashes_.push_back(parent);
  }
  n_past = static_cast<int64_t>(blocks_.size()) * bs;
  return n_past;
}

void KvCache::publish_prefix(std::span<const int32_t> prompt) {
  const int64_t bs = block_size();
  const int64_t limit = std::min<int64_t>(n_past, static_cast<int64_t>(prompt.size()));
  for (auto i = static_cast<int64_t>(hashes_.size()); (i + 1) * bs <= limit; ++i) {
    const uint64_t parent = i == 0 ? 0 : hashes_[static_cast<size_t>(i - 1)];
    const auto tokens = prompt.subspan(static_cast<size_t>(i * bs), static_cast<size_t>(bs));
    hashes_.push_back(store_->publish(blocks_[static_cast<size_t>(i)], parent, tokens));
  }
}

}  // namespace hydra::engine
