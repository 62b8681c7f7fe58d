#include "options.h"

#include <stdexcept>

namespace fake {
namespace {

int64_t to_int(const std::string& flag, const std::string& v, int64_t lo, int64_t hi) {
  size_t used = 0;
  int64_t n = 0;
  try {
    n = std::stoll(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != v.size() || v.empty() || n < lo || n > hi) {
    throw std::invalid_argument(flag + " needs an integer in " + std::to_string(lo) + ".." +
                                std::to_string(hi) + ", not '" + v + "'");
  }
  return n;
}

FailMode to_fail(const std::string& v) {
  if (v == "none") return FailMode::kNone;
  if (v == "refuse") return FailMode::kRefuse;
  if (v == "status" || v == "5xx") return FailMode::kStatus;
  if (v == "hang") return FailMode::kHang;
  if (v == "cut") return FailMode::kCut;
  throw std::invalid_argument("--fail must be none, refuse, status (5xx), hang or cut");
}

bool to_bool(const std::string& flag, const std::string& v) {
  if (v == "on" || v == "true" || v == "1") return true;
  if (v == "off" || v == "false" || v == "0") return false;
  throw std::invalid_argument(flag + " must be on or off");
}

}  // namespace

Options parse_options(const std::vector<std::string>& args) {
  Options o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (i + 1 >= args.size()) throw std::invalid_argument(flag + " needs a value");
    const std::string& v = args[++i];
    if (flag == "--host") {
      o.host = v;
    } else if (flag == "--port") {
      o.port = static_cast<uint16_t>(to_int(flag, v, 0, 65535));
    } else if (flag == "--port-file") {
      o.port_file = v;
    } else if (flag == "--threads") {
      o.threads = static_cast<int>(to_int(flag, v, 1, 64));
    } else if (flag == "--latency-ms") {
      o.latency_ms = to_int(flag, v, 0, 3600000);
    } else if (flag == "--tokens") {
      o.tokens = to_int(flag, v, 0, 1000000);
    } else if (flag == "--interval-ms") {
      o.interval_ms = to_int(flag, v, 0, 3600000);
    } else if (flag == "--usage") {
      o.usage = to_bool(flag, v);
    } else if (flag == "--fail") {
      o.fail = to_fail(v);
    } else if (flag == "--fail-status") {
      o.fail_status = static_cast<int>(to_int(flag, v, 400, 599));
    } else if (flag == "--cut-after") {
      o.cut_after = to_int(flag, v, 0, 1000000);
    } else if (flag == "--embedding-dims") {
      o.embedding_dims = to_int(flag, v, 1, 65536);
    } else if (flag == "--ledger-max") {
      o.ledger_max = static_cast<size_t>(to_int(flag, v, 1, 100000000));
    } else {
      throw std::invalid_argument("unknown flag " + flag);
    }
  }
  return o;
}

std::string usage_text() {
  return "fake_upstream: an OpenAI-compatible server for tests and benchmarks\n"
         "  --host ADDR            listen address (127.0.0.1)\n"
         "  --port N               port, 0 for any free one (0)\n"
         "  --port-file PATH       write the port there once listening\n"
         "  --threads N            io threads (1)\n"
         "  --latency-ms N         delay before the answer head (0)\n"
         "  --tokens N             completion tokens when max_tokens is absent (16)\n"
         "  --interval-ms N        delay between streamed tokens (0)\n"
         "  --usage on|off         report usage (on)\n"
         "  --fail MODE            none | refuse | status | hang | cut (none)\n"
         "  --fail-status N        status for --fail status (500)\n"
         "  --cut-after K          events sent before --fail cut drops a stream (2)\n"
         "  --embedding-dims N     embedding length (8)\n"
         "  --ledger-max N         requests kept in the ledger (1000000)\n"
         "GET /ledger reports what each request id received and was generated.\n";
}

}  // namespace fake
