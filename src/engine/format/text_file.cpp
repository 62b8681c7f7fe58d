#include "engine/format/text_file.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "engine/format/format_error.h"

namespace hydra::engine {

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string read_text_file(const std::string& path, size_t max_bytes) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw FormatError(path + ": cannot open");
  f.seekg(0, std::ios::end);
  const auto size = static_cast<std::streamoff>(f.tellg());
  if (size < 0) throw FormatError(path + ": cannot read");
  if (static_cast<size_t>(size) > max_bytes) {
    throw FormatError(path + ": " + std::to_string(size) + " bytes is more than the " +
                      std::to_string(max_bytes) + " allowed");
  }
  f.seekg(0);
  std::string text(static_cast<size_t>(size), '\0');
  f.read(text.data(), size);
  if (!f) throw FormatError(path + ": cannot read");
  return text;
}

boost::json::value parse_json_text(std::string_view text, const std::string& what) {
  boost::system::error_code ec;
  boost::json::parse_options opt;
  opt.max_depth = 64;
  boost::json::value v = boost::json::parse(text, ec, {}, opt);
  if (ec) throw FormatError(what + ": invalid JSON: " + ec.message());
  return v;
}

}  // namespace hydra::engine
