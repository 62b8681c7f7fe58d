#include "limits/quota_book.h"

#include <map>

namespace hydra::limits {

std::string stored_subject(std::string_view a, std::string_view b) {
  std::string s(a);
  if (!b.empty()) s.append("\x1f").append(b);
  return s;
}

QuotaSpent QuotaBook::total(const Entry& e) {
  return {e.stored.tokens + e.flushing.tokens + e.pending.tokens,
          e.stored.cost + e.flushing.cost + e.pending.cost};
}

QuotaSpent QuotaBook::spent(const CompiledQuota& q, const Subject& s, int64_t now) const {
  auto [a, b] = RuleSet::subject_of(q.quota, s);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(CounterKeyView{q.uid, a, b});
  if (it == entries_.end()) return {};
  if (it->second.period_start != period_start(q.quota.period, now)) {
    // A new period began; only what was added in it counts.
    return it->second.period_start > period_start(q.quota.period, now) ? total(it->second)
                                                                       : QuotaSpent{};
  }
  return total(it->second);
}

bool QuotaBook::used_up(const CompiledQuota& q, const Subject& s, int64_t now) const {
  QuotaSpent sp = spent(q, s, now);
  if (q.quota.metric == QuotaMetric::kCost) return sp.cost >= q.quota.budget;
  return static_cast<double>(sp.tokens) >= q.quota.budget;
}

void QuotaBook::add(const CompiledQuota& q, const Subject& s, int64_t now, int64_t tokens,
                    double cost) {
  if (tokens == 0 && cost == 0) return;
  auto [a, b] = RuleSet::subject_of(q.quota, s);
  CounterKeyView kv{q.uid, a, b};
  int64_t start = period_start(q.quota.period, now);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(kv);
  if (it == entries_.end()) it = entries_.emplace(CounterKey(kv), Entry{}).first;
  Entry& e = it->second;
  if (e.period_start != start) {
    // Still-unwritten amounts of the old period are written with it by the
    // next flush only if they were handed over; start the new period clean.
    e = Entry{};
    e.period_start = start;
  }
  e.quota_id = q.quota.id;
  e.pending.tokens += tokens;
  e.pending.cost += cost;
}

void QuotaBook::flush(store::Store& st, const std::vector<CompiledQuota>& quotas, int64_t now) {
  std::lock_guard<std::mutex> one(flush_mu_);
  std::vector<QuotaUsage> deltas;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [k, e] : entries_) {
      if (e.pending.tokens == 0 && e.pending.cost == 0) continue;
      deltas.push_back(QuotaUsage{e.quota_id, stored_subject(k.subject, k.subject2), e.period_start,
                                  e.pending.tokens, e.pending.cost});
      e.flushing = e.pending;
      e.pending = {};
    }
  }
  bool written = true;
  try {
    if (!deltas.empty()) {
      st.transact([&](store::Session& s) {
        for (const auto& d : deltas) add_quota_usage(s, d);
      });
    }
  } catch (const std::exception&) {
    written = false;
  }
  std::vector<QuotaUsage> rows;
  bool read = written;
  if (read) {
    try {
      rows = current_quota_usage(
          st,
          [&] {
            std::vector<Quota> qs;
            for (const auto& q : quotas) qs.push_back(q.quota);
            return qs;
          }(),
          now);
    } catch (const std::exception&) {
      read = false;
    }
  }
  std::map<std::string, const CompiledQuota*> by_id;
  for (const auto& q : quotas) by_id[q.quota.id] = &q;
  std::lock_guard<std::mutex> lock(mu_);
  if (!written) {
    // Keep the amounts for the next try.
    for (auto& [k, e] : entries_) {
      e.pending.tokens += e.flushing.tokens;
      e.pending.cost += e.flushing.cost;
      e.flushing = {};
    }
    return;
  }
  if (!read) {
    // Written but not read back: what was written now counts as stored.
    for (auto& [k, e] : entries_) {
      e.stored.tokens += e.flushing.tokens;
      e.stored.cost += e.flushing.cost;
      e.flushing = {};
    }
    return;
  }
  for (auto& [k, e] : entries_) e.flushing = {};
  for (auto& [k, e] : entries_) e.stored = {};
  for (const auto& row : rows) {
    auto q = by_id.find(row.quota_id);
    if (q == by_id.end()) continue;
    std::string_view subj = row.subject;
    size_t sep = subj.find('\x1f');
    std::string_view a = subj.substr(0, sep);
    std::string_view b = sep == std::string_view::npos ? std::string_view() : subj.substr(sep + 1);
    CounterKeyView kv{q->second->uid, a, b};
    auto it = entries_.find(kv);
    if (it == entries_.end()) it = entries_.emplace(CounterKey(kv), Entry{}).first;
    Entry& e = it->second;
    if (e.period_start != row.period_start) {
      if (e.period_start > row.period_start) continue;
      e = Entry{};
      e.period_start = row.period_start;
    }
    e.quota_id = row.quota_id;
    e.stored = {row.tokens, row.cost};
  }
}

}  // namespace hydra::limits
