#pragma once
// Runs Python's jinja2 (Debian's /usr/bin/python3 and python3-jinja2) as
// the reference renderer, through render_oracle.py in batch mode: one
// interpreter start renders every job.
#include <boost/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace hydra::engine::test {

struct OracleResult {
  bool ok = false;
  std::string out;  // rendering, or the Python error
};

// Each job is {"template": path} or {"source": text}, plus "context".
// Returns nullopt (with `error` set) when the oracle cannot run at all.
std::optional<std::vector<OracleResult>> run_oracle(const boost::json::array& jobs,
                                                    std::string& error);

// The fixed local time both sides use for strftime_now.
inline constexpr const char* kOracleNow = "2025-03-04T05:06:07";

}  // namespace hydra::engine::test
