// SentencePiece-style BPE: spaces become U+2581, characters merge pairwise
// by token score (or by merge rank when the vocabulary lists merges), and
// characters that are not tokens fall back to <0xXX> byte tokens.
#include <algorithm>

#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/unicode.h"

namespace hydra::engine {
namespace {

struct Piece {
  uint32_t start, len;  // bytes in the escaped text; len 0 once merged away
  int32_t prev, next;
  int32_t id;  // token of this piece, -1 if it is not one
};

struct Candidate {
  float priority;  // higher merges first
  int32_t left, right;
  uint32_t len;
  int32_t result;
};

struct LaterCandidate {
  bool operator()(const Candidate& a, const Candidate& b) const {
    return a.priority != b.priority ? a.priority < b.priority : a.left > b.left;
  }
};

}  // namespace

void Tokenizer::encode_sentencepiece(std::string_view text, bool space_prefix,
                                     std::vector<int32_t>& out) const {
  std::string s;
  s.reserve(text.size() + 8);
  if (space_prefix) s += "\xE2\x96\x81";
  for (char c : text) {
    if (c == ' ') {
      s += "\xE2\x96\x81";
    } else {
      s.push_back(c);
    }
  }
  std::vector<Piece> pieces;
  const auto* bytes = reinterpret_cast<const unsigned char*>(s.data());
  for (size_t i = 0; i < s.size();) {
    Utf8Step step = utf8_step(bytes + i, s.size() - i);
    size_t len = step.status == Utf8Status::kComplete ? step.length : 1;
    int32_t k = static_cast<int32_t>(pieces.size());
    pieces.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(len), k - 1, k + 1,
                      token_id(std::string_view(s).substr(i, len))});
    i += len;
  }
  if (pieces.empty()) return;
  pieces.back().next = -1;

  const bool by_score = !data_.scores.empty();
  std::vector<Candidate> heap;
  auto consider = [&](int32_t left) {
    if (left < 0 || pieces[left].next < 0) return;
    int32_t right = pieces[left].next;
    uint32_t len = pieces[left].len + pieces[right].len;
    Candidate c{0, left, right, len, -1};
    if (by_score) {
      c.result = token_id(std::string_view(s).substr(pieces[left].start, len));
      if (c.result < 0) return;
      c.priority = data_.scores[c.result];
    } else {
      const MergeRule* rule = find_merge(pieces[left].id, pieces[right].id);
      if (rule == nullptr) return;
      c.result = rule->result;
      c.priority = -static_cast<float>(rule->rank);
    }
    heap.push_back(c);
    std::push_heap(heap.begin(), heap.end(), LaterCandidate{});
  };
  for (int32_t i = 0; i + 1 < static_cast<int32_t>(pieces.size()); ++i) consider(i);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), LaterCandidate{});
    Candidate c = heap.back();
    heap.pop_back();
    Piece& left = pieces[c.left];
    Piece& right = pieces[c.right];
    if (left.len == 0 || right.len == 0 || left.next != c.right || left.len + right.len != c.len) {
      continue;
    }
    left.len = c.len;
    left.id = c.result;
    left.next = right.next;
    if (right.next >= 0) pieces[right.next].prev = c.left;
    right.len = 0;
    consider(left.prev);
    consider(c.left);
  }
  for (int32_t i = 0; i >= 0; i = pieces[i].next) {
    const Piece& p = pieces[i];
    if (p.id >= 0) {
      out.push_back(p.id);
      continue;
    }
    for (uint32_t k = 0; k < p.len; ++k) push_byte_fallback(bytes[p.start + k], out);
  }
}

}  // namespace hydra::engine
