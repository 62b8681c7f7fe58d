#pragma once
// CSV exports of usage (RFC 4180: comma-separated, CRLF line ends, fields
// quoted when they hold a comma, quote or line break, quotes doubled).
// Text fields that a spreadsheet would run as a formula (=, +, -, @ first)
// get a leading apostrophe.
#include <string>
#include <string_view>
#include <vector>

#include "metering/usage_query.h"

namespace hydra::metering {

std::string csv_field(std::string_view text);
std::string records_csv(const std::vector<UsageRecord>& records);
std::string groups_csv(const std::vector<UsageGroup>& groups, const GroupBy& by);

}  // namespace hydra::metering
