#include "cli/credentials.h"

#include <sys/stat.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace hydra::cli {

std::string credentials_path() {
  if (const char* p = getenv("HYDRA_CREDENTIALS"); p && *p) return p;
  const char* home = getenv("HOME");
  return std::string(home ? home : ".") + "/.config/hydra/credentials.json";
}

Credentials load_credentials() {
  Credentials c;
  std::ifstream in(credentials_path());
  if (!in) return c;
  std::stringstream ss;
  ss << in.rdbuf();
  boost::system::error_code ec;
  auto v = boost::json::parse(ss.str(), ec);
  if (ec || !v.is_object()) return c;
  auto& o = v.as_object();
  if (auto* s = o.if_contains("server"); s && s->is_string()) c.server = s->as_string().c_str();
  if (auto* t = o.if_contains("token"); t && t->is_string()) c.token = t->as_string().c_str();
  return c;
}

void save_credentials(const Credentials& c) {
  std::filesystem::path p = credentials_path();
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  boost::json::object o{{"server", c.server}, {"token", c.token}};
  std::string tmp = p.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << boost::json::serialize(o) << "\n";
  }
  chmod(tmp.c_str(), 0600);
  std::filesystem::rename(tmp, p);
}

}  // namespace hydra::cli
