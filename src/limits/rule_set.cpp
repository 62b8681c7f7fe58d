#include "limits/rule_set.h"

namespace hydra::limits {
namespace {

// An empty target matches everyone; a set one only itself.
bool target_ok(const std::string& target, std::string_view actual) {
  return target.empty() || target == actual;
}

}  // namespace

RuleSet::RuleSet(std::vector<CompiledRule> rules, std::vector<CompiledQuota> quotas)
    : rules_(std::move(rules)), quotas_(std::move(quotas)) {
  // Each rule goes into exactly one list, so it is visited once per request.
  for (const auto& cr : rules_) {
    const LimitRule& r = cr.rule;
    switch (r.scope) {
      case Scope::kWorkspace:
        if (!r.workspace_id.empty()) {
          rules_by_workspace_[r.workspace_id].push_back(&cr);
          continue;
        }
        break;
      case Scope::kKey:
      case Scope::kKeyModel:
        if (!r.key_id.empty()) {
          rules_by_key_[r.key_id].push_back(&cr);
          continue;
        }
        if (r.scope == Scope::kKeyModel && !r.model.empty()) {
          rules_by_model_[r.model].push_back(&cr);
          continue;
        }
        break;
      case Scope::kModel:
        if (!r.model.empty()) {
          rules_by_model_[r.model].push_back(&cr);
          continue;
        }
        break;
      case Scope::kGlobal:
        break;
    }
    rules_any_.push_back(&cr);
  }
}

bool RuleSet::applies(const LimitRule& r, const Subject& s) {
  switch (r.scope) {
    case Scope::kGlobal:
      return true;
    case Scope::kWorkspace:
      return target_ok(r.workspace_id, s.workspace_id);
    case Scope::kKey:
      return target_ok(r.key_id, s.key_id);
    case Scope::kModel:
      return target_ok(r.model, s.model);
    case Scope::kKeyModel:
      return target_ok(r.key_id, s.key_id) && target_ok(r.model, s.model);
  }
  return false;
}

bool RuleSet::applies(const Quota& q, const Subject& s) {
  switch (q.scope) {
    case QuotaScope::kKey:
      return target_ok(q.key_id, s.key_id);
    case QuotaScope::kWorkspace:
      return target_ok(q.workspace_id, s.workspace_id);
    case QuotaScope::kModel:
      return target_ok(q.model, s.model);
    case QuotaScope::kUser:
      return target_ok(q.user_id, s.user_id);
    case QuotaScope::kUserModel:
      return target_ok(q.user_id, s.user_id) && target_ok(q.model, s.model);
  }
  return false;
}

std::pair<std::string_view, std::string_view> RuleSet::subject_of(const LimitRule& r,
                                                                  const Subject& s) {
  switch (r.scope) {
    case Scope::kGlobal:
      return {};
    case Scope::kWorkspace:
      return {s.workspace_id, {}};
    case Scope::kKey:
      return {s.key_id, {}};
    case Scope::kModel:
      return {s.model, {}};
    case Scope::kKeyModel:
      return {s.key_id, s.model};
  }
  return {};
}

std::pair<std::string_view, std::string_view> RuleSet::subject_of(const Quota& q,
                                                                  const Subject& s) {
  switch (q.scope) {
    case QuotaScope::kKey:
      return {s.key_id, {}};
    case QuotaScope::kWorkspace:
      return {s.workspace_id, {}};
    case QuotaScope::kModel:
      return {s.model, {}};
    case QuotaScope::kUser:
      return {s.user_id, {}};
    case QuotaScope::kUserModel:
      return {s.user_id, s.model};
  }
  return {};
}

}  // namespace hydra::limits
