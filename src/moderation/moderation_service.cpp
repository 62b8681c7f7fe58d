#include "moderation/moderation_service.h"

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/error.h"
#include "moderation/request_text.h"
#include "moderation/rule_store.h"

namespace hydra::moderation {

ModerationService::ModerationService(store::Store& st, ModerationOptions opts)
    : store_(st), opts_(opts), rules_(std::make_shared<const RuleSet>()) {}

ModerationService::~ModerationService() {
  stop();
}

void ModerationService::start() {
  if (started_.exchange(true)) return;
  // The version is read before the first load: a change committed between
  // the load and the poller's first look must still count as unseen.
  seen_version_ = rules_version();
  reload();
  last_load_ns_ = mono_ns();
  poller_.start("moderation rules not reloaded", opts_.local_ms, [this] { poll_once(); });
}

void ModerationService::stop() {
  poller_.stop();
}

void ModerationService::reload() {
  try {
    rules_.publish(std::make_shared<const RuleSet>(list_rules(store_)));
  } catch (const std::exception& e) {
    spdlog::warn("moderation rules not reloaded: {}", e.what());
  }
}

void ModerationService::poll_once() {
  uint64_t now_version = rules_version();
  bool due = (mono_ns() - last_load_ns_) / 1000000 >= opts_.poll_ms;
  if (now_version == seen_version_ && !due) return;
  reload();
  seen_version_ = now_version;
  last_load_ns_ = mono_ns();
}

void ModerationService::check_input(const boost::json::value& request,
                                    const std::string& workspace) const {
  auto set = rules();
  if (!set->has_input_rules()) return;
  if (auto hit = set->match_input(request_text(request), workspace)) {
    throw ApiError(ErrorCode::kInputModeration, "the input was refused by moderation rule " + *hit);
  }
}

void ModerationService::check_answer(std::string_view answer, const std::string& workspace) const {
  auto set = rules();
  if (!set->has_output_rules()) return;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(answer, ec);
  if (ec || !v.is_object()) return;  // not an answer: nothing to read
  if (auto hit = set->match_output(answer_text(v), workspace)) throw_output_refused(*hit);
}

void throw_output_refused(const std::string& rule_id) {
  throw ApiError(ErrorCode::kOutputModeration,
                 "the answer was refused by moderation rule " + rule_id);
}

}  // namespace hydra::moderation
