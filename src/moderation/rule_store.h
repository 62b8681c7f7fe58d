#pragma once
// The moderation_rules table. Every change writes its audit event in the
// same transaction and, once committed, moves rules_version() so the
// gateway of this process reloads at once.
#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "audit/audit.h"
#include "moderation/rule.h"
#include "store/store.h"

namespace hydra::moderation {

std::vector<ModerationRule> list_rules(store::Store& st);
ModerationRule get_rule(store::Store& st, const std::string& id);  // 404 when missing

// `actor` is the caller's pre-filled audit event; 404 when the rule's
// workspace does not exist.
ModerationRule create_rule(store::Store& st, ModerationRule r, const audit::Event& actor);
ModerationRule update_rule(store::Store& st, const std::string& id, const boost::json::value& patch,
                           const audit::Event& actor);
void delete_rule(store::Store& st, const std::string& id, const audit::Event& actor);

// Counts committed rule changes made by this process.
uint64_t rules_version();

}  // namespace hydra::moderation
