#pragma once
// Human output: aligned columns with a header row.
#include <string>
#include <vector>

namespace hydra::cli {

std::string render_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows);

}  // namespace hydra::cli
