#pragma once
// Paged KV-cache storage shared by every sequence of a model: fixed-size
// blocks of `block_size` positions, allocated on demand and returned when
// the last sequence using them lets go. Full blocks of a prompt can be
// published under the hash of the prompt up to and including them; a later
// prompt that starts the same way finds them and skips their prefill
// (prefix reuse). Published blocks nobody uses stay cached until their
// memory is needed, least recently used first.
//
// Keys and values are stored as F32, F16 or Q8_0 (rows of kv_dim).
// Not thread-safe: one decode thread owns it.
#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "engine/format/ggml_types.h"
#include "engine/model/model.h"

namespace hydra::engine {

struct KvBlockStats {
  int64_t total_blocks = 0;
  int64_t used_blocks = 0;     // held by at least one sequence
  int64_t cached_blocks = 0;   // published, held by none, reusable
  int64_t prefix_queries = 0;  // blocks looked up
  int64_t prefix_hits = 0;     // blocks found
};

class KvBlocks {
 public:
  static constexpr int64_t kDefaultBlockSize = 16;

  // n_blocks blocks of block_size positions; memory is reserved, not touched.
  KvBlocks(const Model& model, int64_t n_blocks, GgmlType type = GgmlType::kF32,
           int64_t block_size = kDefaultBlockSize);
  // Enough blocks for `bytes` of keys and values (at least one).
  static int64_t blocks_for_bytes(const Model& model, GgmlType type, int64_t block_size,
                                  int64_t bytes);
  static size_t bytes_per_block(const Model& model, GgmlType type, int64_t block_size);

  int64_t block_size() const { return block_size_; }
  int64_t kv_dim() const { return kv_dim_; }
  GgmlType type() const { return type_; }
  size_t row_bytes() const { return row_bytes_; }

  uint8_t* k_row(int32_t block, int64_t layer, int64_t slot) { return row(block, layer, 0, slot); }
  uint8_t* v_row(int32_t block, int64_t layer, int64_t slot) { return row(block, layer, 1, slot); }

  // A free block (evicting the least recently used cached one if needed),
  // held once; -1 when every block is in use.
  int32_t allocate();
  void retain(int32_t block);
  void release(int32_t block);
  bool shared(int32_t block) const;
  // Copies every layer's keys and values of `from` into `to`.
  void copy_block(int32_t from, int32_t to);  // held more than once, or published
  // Blocks allocate() could still hand out.
  int64_t available() const;

  // The published block holding `tokens` (block_size of them) after the
  // prefix whose hash is `parent`; retained for the caller. -1 if none.
  int32_t find(uint64_t parent, std::span<const int32_t> tokens);
  // Publishes a full block; returns its hash (the parent of the next one).
  uint64_t publish(int32_t block, uint64_t parent, std::span<const int32_t> tokens);
  static uint64_t chain_hash(uint64_t parent, std::span<const int32_t> tokens);

  KvBlockStats stats() const;

 private:
  uint8_t* row(int32_t block, int64_t layer, int kv, int64_t slot) {
    return storage_.get() + static_cast<size_t>(block) * block_bytes_ +
           ((static_cast<size_t>(layer) * 2 + kv) * block_size_ + slot) * row_bytes_;
  }
  void unpublish(int32_t block);

  struct Info {
    int32_t refs = 0;
    bool published = false;
    uint64_t hash = 0, parent = 0;
    uint64_t last_use = 0;
  };

  int64_t n_layers_, kv_dim_, block_size_, n_blocks_;
  GgmlType type_;
  size_t row_bytes_, block_bytes_;
  std::unique_ptr<uint8_t[]> storage_;
  std::vector<Info> info_;
  std::vector<int32_t> free_;
  std::vector<int32_t> tokens_;  // [block][block_size] of published blocks
  std::unordered_multimap<uint64_t, int32_t> by_hash_;
  int64_t cached_ = 0, used_ = 0;
  uint64_t clock_ = 0;
  int64_t queries_ = 0, hits_ = 0;
};

}  // namespace hydra::engine
