#pragma once
// Quotas in the store (table quotas) and what they have consumed (table
// quota_usage: one row per quota, subject and period, grown with atomic
// increments so several gateway processes can add to the same row).
#include <optional>
#include <string>
#include <vector>

#include "limits/quota.h"
#include "store/store.h"

namespace hydra::limits {

std::vector<Quota> list_quotas(store::Store& st);
std::optional<Quota> find_quota(store::Session& s, const std::string& id);
Quota insert_quota(store::Session& s, Quota q);
bool update_quota(store::Session& s, Quota& q);
// Removes the quota and what it consumed.
bool delete_quota(store::Session& s, const std::string& id);

struct QuotaUsage {
  std::string quota_id;
  std::string subject;  // key, workspace, model, user id, or "user\x1fmodel"
  int64_t period_start = 0;
  int64_t tokens = 0;
  double cost = 0;
};

void add_quota_usage(store::Session& s, const QuotaUsage& delta);
// Rows whose period is the current one of their quota, per `quotas`.
std::vector<QuotaUsage> current_quota_usage(store::Store& st, const std::vector<Quota>& quotas,
                                            int64_t now);
std::vector<QuotaUsage> quota_usage_of(store::Store& st, const std::string& quota_id,
                                       int64_t period_start);

}  // namespace hydra::limits
