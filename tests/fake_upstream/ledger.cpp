#include "ledger.h"

#include <boost/json.hpp>

namespace fake {

namespace bj = boost::json;

void Ledger::put(const LedgerEntry& e) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, added] = entries_.insert_or_assign(e.request_id, e);
  if (!added) return;
  order_.push_back(e.request_id);
  while (order_.size() > max_) {
    entries_.erase(order_.front());
    order_.pop_front();
  }
}

void Ledger::clear() {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.clear();
  order_.clear();
}

std::string Ledger::to_json(const std::string& only_id) const {
  bj::array items;
  int64_t prompt = 0, completion = 0;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& id : order_) {
    if (!only_id.empty() && id != only_id) continue;
    const LedgerEntry& e = entries_.at(id);
    prompt += e.prompt_tokens;
    completion += e.completion_tokens;
    items.push_back(bj::object{{"request_id", e.request_id},
                               {"path", e.path},
                               {"model", e.model},
                               {"stream", e.stream},
                               {"status", e.status},
                               {"prompt_tokens", e.prompt_tokens},
                               {"completion_tokens", e.completion_tokens},
                               {"aborted", e.aborted},
                               {"finished", e.finished}});
  }
  bj::object doc{{"count", items.size()},
                 {"prompt_tokens", prompt},
                 {"completion_tokens", completion},
                 {"requests", std::move(items)}};
  return bj::serialize(doc);
}

}  // namespace fake
