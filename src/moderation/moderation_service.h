#pragma once
// The gateway's view of the moderation rules: the current compiled set,
// reloaded from the store every `poll_ms` (rules changed by another process
// sharing the store apply within that time) and within `local_ms` of a
// change committed by this process.
#include <atomic>
#include <boost/json.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/periodic_thread.h"
#include "common/published.h"
#include "moderation/output_scanner.h"
#include "moderation/rule_set.h"
#include "store/store.h"

namespace hydra::moderation {

struct ModerationOptions {
  int64_t poll_ms = 2000;
  int64_t local_ms = 50;
};

class ModerationService {
 public:
  explicit ModerationService(store::Store& st, ModerationOptions opts = {});
  ~ModerationService();
  ModerationService(const ModerationService&) = delete;
  ModerationService& operator=(const ModerationService&) = delete;

  // Loads the rules, then follows changes on a thread of its own.
  void start();
  void stop();
  // Reads the rules from the store now (a failure keeps the previous set).
  void reload();

  std::shared_ptr<const RuleSet> rules() const { return rules_.get(); }

  // Throws ApiError 600003 when the request's text breaks an input rule.
  void check_input(const boost::json::value& request, const std::string& workspace) const;
  // Throws ApiError 600004 when a whole answer (its JSON text) breaks an
  // output rule. The text is parsed only when there are output rules.
  void check_answer(std::string_view answer, const std::string& workspace) const;
  // A scanner for one streamed answer, holding the rules current now.
  OutputScanner scanner(const std::string& workspace) const { return {rules(), workspace}; }

 private:
  void poll_once();  // reloads when this process changed a rule or the slow poll is due

  store::Store& store_;
  ModerationOptions opts_;
  Published<RuleSet> rules_;
  std::atomic<bool> started_{false};
  uint64_t seen_version_ = 0;  // the poller's, like last_load_ns_
  int64_t last_load_ns_ = 0;
  PeriodicThread poller_;
};

// The error answered when output breaks `rule_id` (also sent as the SSE
// error event of a stream).
[[noreturn]] void throw_output_refused(const std::string& rule_id);

}  // namespace hydra::moderation
