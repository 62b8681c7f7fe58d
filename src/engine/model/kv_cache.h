#pragma once
// The KV cache of one sequence: a table of blocks in a KvBlocks store
// (shared with other sequences), filled position by position. Blocks are
// taken when a position first needs one and returned when the cache is
// destroyed or truncated below them; a block shared with another sequence
// or the prefix cache is copied before it is written (copy on write).
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "engine/model/kv_blocks.h"
#include "engine/model/model.h"

namespace hydra::engine {

class KvCache {
 public:
  KvCache() = default;
  // A private F32 store just large enough for n_ctx positions.
  KvCache(const Model& model, int64_t n_ctx);
  // A cache in a shared store.
  KvCache(std::shared_ptr<KvBlocks> store, int64_t n_ctx);
  ~KvCache();
  KvCache(KvCache&& other) noexcept;
  KvCache& operator=(KvCache&& other) noexcept;
  KvCache(const KvCache&) = delete;
  KvCache& operator=(const KvCache&) = delete;

  int64_t n_ctx = 0;   // positions it may hold
  int64_t n_past = 0;  // positions filled

  KvBlocks& store() { return *store_; }
  // Makes position `pos` writable: takes a block if it has none, copies a
  // shared one. False when the store has no free block.
  bool prepare_write(int64_t pos);
  uint8_t* k_row(int64_t layer, int64_t pos);
  uint8_t* v_row(int64_t layer, int64_t pos);
  int32_t block_at(int64_t pos) const { return blocks_[static_cast<size_t>(pos / block_size())]; }
  int64_t block_size() const { return store_->block_size(); }
  int64_t blocks_held() const { return static_cast<int64_t>(blocks_.size()); }

  // Forgets positions from `pos` on; whole blocks past it are returned.
  void truncate(int64_t pos);

  // Prefix reuse: attaches the published blocks that hold the start of
  // `prompt` (never all of it: the last token is always computed, its
  // logits are needed). The cache must be empty. Returns positions reused.
  int64_t attach_prefix(std::span<const int32_t> prompt);
  // Publishes every full block of `prompt` that n_past covers and that is
  // not yet published, so later prompts can reuse them.
  void publish_prefix(std::span<const int32_t> prompt);

 private:
  void release_all();

  std::shared_ptr<KvBlocks> store_;
  std::vector<int32_t> blocks_;
  std::vector<uint64_t> hashes_;  // chain hash of each published leading block
};

}  // namespace hydra::engine
