// Byte-level BPE: pre-tokenize into words, then merge each word's bytes by
// merge rank.
#include <algorithm>

#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/unicode.h"

namespace hydra::engine {
namespace {

constexpr int32_t kGone = -2;  // id of a symbol merged into its left neighbour

struct Symbol {
  int32_t id;
  int32_t prev, next;
};

// A candidate merge of the symbol at `left` with its right neighbour, valid
// only while both still carry the ids it was computed from.
struct Candidate {
  int32_t rank;
  int32_t left;
  int32_t left_id, right_id;
  int32_t result;
};

// Lowest rank first; on ties the leftmost pair, as the reference does.
struct LaterCandidate {
  bool operator()(const Candidate& a, const Candidate& b) const {
    return a.rank != b.rank ? a.rank > b.rank : a.left > b.left;
  }
};

}  // namespace

void Tokenizer::encode_byte_bpe(std::string_view text, std::vector<int32_t>& out) const {
  DecodedText decoded;
  decode_utf8(text, decoded);
  std::vector<uint32_t> ends, scratch;
  pre_tokenize(pre_, decoded.cps.data(), decoded.flags.data(), decoded.cps.size(), ends, scratch);
  uint32_t start = 0;
  for (uint32_t end : ends) {
    uint32_t b = decoded.offsets[start], e = decoded.offsets[end];
    bpe_word(text.substr(b, e - b), out);
    start = end;
  }
}

void Tokenizer::bpe_word(std::string_view bytes, std::vector<int32_t>& out) const {
  if (data_.ignore_merges) {
    std::string mapped;
    append_byte_level(bytes, mapped);
    int32_t whole = token_id(mapped);
    if (whole >= 0) {
      out.push_back(whole);
      return;
    }
  }
  const int32_t n = static_cast<int32_t>(bytes.size());
  std::vector<Symbol> sym(n);
  for (int32_t i = 0; i < n; ++i) {
    sym[i] = {byte_token_[static_cast<unsigned char>(bytes[i])], i - 1, i + 1 < n ? i + 1 : -1};
  }
  std::vector<Candidate> heap;
  auto consider = [&](int32_t left) {
    if (left < 0 || sym[left].next < 0) return;
    int32_t right = sym[left].next;
    const MergeRule* rule = find_merge(sym[left].id, sym[right].id);
    if (rule == nullptr) return;
    heap.push_back({rule->rank, left, sym[left].id, sym[right].id, rule->result});
    std::push_heap(heap.begin(), heap.end(), LaterCandidate{});
  };
  for (int32_t i = 0; i + 1 < n; ++i) consider(i);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), LaterCandidate{});
    Candidate c = heap.back();
    heap.pop_back();
    Symbol& left = sym[c.left];
    if (left.id != c.left_id || left.next < 0 || sym[left.next].id != c.right_id) continue;
    Symbol& right = sym[left.next];
    left.id = c.result;
    left.next = right.next;
    if (right.next >= 0) sym[right.next].prev = c.left;
    right.id = kGone;
    consider(left.prev);
    consider(c.left);
  }
  for (int32_t i = 0; i >= 0 && i < n; i = sym[i].next) {
    if (sym[i].id >= 0) {
      out.push_back(sym[i].id);
    } else {
      push_byte_fallback(static_cast<unsigned char>(bytes[i]), out);
    }
  }
}

}  // namespace hydra::engine
