#pragma once
// What the fake upstream generated, per request id: the count a gateway's
// usage record must equal. A token counts once the event (or body) that
// carries it was handed to the kernel; nothing written after the client's
// disconnect was seen is counted, because nothing is written then.
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace fake {

struct LedgerEntry {
  std::string request_id;
  std::string path;
  std::string model;
  bool stream = false;
  int status = 0;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  bool aborted = false;   // the client went away before the answer ended
  bool finished = false;  // the answer is over (complete, cut or aborted)
};

class Ledger {
 public:
  explicit Ledger(size_t max_entries) : max_(max_entries) {}
  void put(const LedgerEntry& e);
  // The JSON document served at GET /ledger (one id, or every entry).
  std::string to_json(const std::string& only_id) const;
  void clear();

 private:
  size_t max_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, LedgerEntry> entries_;
  std::deque<std::string> order_;
};

}  // namespace fake
