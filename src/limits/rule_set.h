#pragma once
// An immutable, indexed snapshot of the limit rules and quotas in force,
// rebuilt when the store changes. Requests find the rules that apply to them
// by key, model and workspace through hash lookups on string_views.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "limits/quota.h"
#include "limits/rule.h"

namespace hydra::limits {

struct CompiledRule {
  LimitRule rule;
  uint32_t uid = 0;  // stable per rule id for the life of the process
};

struct CompiledQuota {
  Quota quota;
  uint32_t uid = 0;
};

// Who a request is, as far as rules and quotas care.
struct Subject {
  std::string_view workspace_id;
  std::string_view key_id;
  std::string_view user_id;
  std::string_view model;
};

struct StringViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};
template <class T>
using StringIndex =
    std::unordered_map<std::string, std::vector<const T*>, StringViewHash, std::equal_to<>>;

class RuleSet {
 public:
  RuleSet(std::vector<CompiledRule> rules, std::vector<CompiledQuota> quotas);
  RuleSet(const RuleSet&) = delete;
  RuleSet& operator=(const RuleSet&) = delete;

  bool empty() const { return rules_.empty() && quotas_.empty(); }
  bool has_quotas() const { return !quotas_.empty(); }
  const std::vector<CompiledRule>& rules() const { return rules_; }
  const std::vector<CompiledQuota>& quotas() const { return quotas_; }

  // Calls fn(const CompiledRule&) for every rule that applies to `s`.
  template <class F>
  void for_each_rule(const Subject& s, F&& fn) const {
    visit(rules_any_, s, fn);
    visit_index(rules_by_key_, s.key_id, s, fn);
    visit_index(rules_by_model_, s.model, s, fn);
    visit_index(rules_by_workspace_, s.workspace_id, s, fn);
  }
  template <class F>
  void for_each_quota(const Subject& s, F&& fn) const {
    for (const auto& q : quotas_) {
      if (applies(q.quota, s)) fn(q);
    }
  }

  static bool applies(const LimitRule& r, const Subject& s);
  static bool applies(const Quota& q, const Subject& s);
  // The counter's subject parts for `s` under the rule's or quota's scope.
  static std::pair<std::string_view, std::string_view> subject_of(const LimitRule& r,
                                                                  const Subject& s);
  static std::pair<std::string_view, std::string_view> subject_of(const Quota& q, const Subject& s);

 private:
  template <class F>
  static void visit(const std::vector<const CompiledRule*>& list, const Subject& s, F& fn) {
    for (const CompiledRule* r : list) {
      if (applies(r->rule, s)) fn(*r);
    }
  }
  template <class F>
  static void visit_index(const StringIndex<CompiledRule>& idx, std::string_view k,
                          const Subject& s, F& fn) {
    if (idx.empty() || k.empty()) return;
    auto it = idx.find(k);
    if (it != idx.end()) visit(it->second, s, fn);
  }

  std::vector<CompiledRule> rules_;
  std::vector<CompiledQuota> quotas_;
  std::vector<const CompiledRule*> rules_any_;
  StringIndex<CompiledRule> rules_by_key_;
  StringIndex<CompiledRule> rules_by_model_;
  StringIndex<CompiledRule> rules_by_workspace_;
};

}  // namespace hydra::limits
