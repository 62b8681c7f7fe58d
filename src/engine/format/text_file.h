#pragma once
// Whole small files (JSON configs, templates) as text, with a size cap so a
// wrong path to a huge file fails fast instead of filling memory.
#include <boost/json.hpp>
#include <cstddef>
#include <string>

namespace hydra::engine {

std::string read_text_file(const std::string& path, size_t max_bytes = size_t{64} << 20);
bool file_exists(const std::string& path);
// Parses JSON text; a syntax error throws FormatError naming `what`.
boost::json::value parse_json_text(std::string_view text, const std::string& what);

}  // namespace hydra::engine
