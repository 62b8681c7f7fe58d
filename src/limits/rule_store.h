#pragma once
// Limit rules in the store (table limit_rules), and the rate limits that
// MaaS models carry themselves, read as model-scope rules.
#include <optional>
#include <string>
#include <vector>

#include "limits/rule.h"
#include "store/store.h"

namespace hydra::limits {

std::vector<LimitRule> list_rules(store::Store& st);
std::optional<LimitRule> find_rule(store::Session& s, const std::string& id);
// Gives the rule a new id and its timestamps.
LimitRule insert_rule(store::Session& s, LimitRule r);
// Stores every field and a new updated_at; false when the rule is gone.
bool update_rule(store::Session& s, LimitRule& r);
bool delete_rule(store::Session& s, const std::string& id);

// rate_limits of the enabled MaaS models, each a model-scope rule on the
// access name `public/<id>`, with an id derived from the model and position.
std::vector<LimitRule> maas_model_rules(store::Store& st);

}  // namespace hydra::limits
