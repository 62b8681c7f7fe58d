#pragma once
// The name of one counter: a rule (or quota) number and up to two subject
// parts. Hash maps keyed by it are searched with a CounterKeyView made of
// string_views, so finding an existing counter allocates nothing.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace hydra::limits {

struct CounterKeyView {
  uint32_t uid;
  std::string_view subject;
  std::string_view subject2;
};

struct CounterKey {
  uint32_t uid;
  std::string subject;
  std::string subject2;
  explicit CounterKey(const CounterKeyView& v)
      : uid(v.uid), subject(v.subject), subject2(v.subject2) {}
  CounterKeyView view() const { return {uid, subject, subject2}; }
};

struct CounterKeyHash {
  using is_transparent = void;
  size_t operator()(const CounterKeyView& k) const {
    size_t h = std::hash<std::string_view>()(k.subject);
    h ^= std::hash<std::string_view>()(k.subject2) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h ^ (static_cast<size_t>(k.uid) * 0xff51afd7ed558ccdULL);
  }
  size_t operator()(const CounterKey& k) const { return (*this)(k.view()); }
};

struct CounterKeyEq {
  using is_transparent = void;
  static CounterKeyView view(const CounterKey& k) { return k.view(); }
  static CounterKeyView view(const CounterKeyView& k) { return k; }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    CounterKeyView x = view(a), y = view(b);
    return x.uid == y.uid && x.subject == y.subject && x.subject2 == y.subject2;
  }
};

}  // namespace hydra::limits
