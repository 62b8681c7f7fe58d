#pragma once
// Logs of replicas that a remote agent runs, readable through the server's
// API like local ones. The agent ships what each replica's log file gained
// since the last heartbeat the server took (a bounded slice per round); the
// server appends it to its own copy at the path the API reads
// (<data_dir>/deployments/<id>/replica-<n>.log), keeping the last MiB. Logs
// lag by at most one heartbeat. Backends without log files (Kubernetes: use
// its own pod logs) ship nothing.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "deploy/deployment.h"

namespace hydra::deploy {

// A slice of one replica's log: bytes [offset, offset + data.size()) of the
// file as the agent sees it.
struct LogChunk {
  int64_t replica = 0;
  int64_t offset = 0;
  std::string data;
};

// Wire form: {"replica", "offset", "data" (base64, logs need not be UTF-8)}.
boost::json::object to_json(const LogChunk& c);
// PARAM_ERROR on a malformed chunk (outside input to the server).
LogChunk log_chunk_from_json(const boost::json::value& v);

struct LogShipLimits {
  int64_t first_tail = 64 << 10;   // a log never shipped before starts this far from its end
  int64_t per_replica = 64 << 10;  // per replica and round
  int64_t per_round = 256 << 10;   // all replicas together, per round
};

// Agent side: remembers, per replica, how far the server has taken its log.
class LogShipper {
 public:
  explicit LogShipper(LogShipLimits limits = {}) : limits_(limits) {}
  // Starts a round: the per-round budget is whole again.
  void begin_round() { budget_ = limits_.per_round; }
  // What each replica's log (Replica::log_path) gained; empty paths and
  // unchanged files give nothing. A file that shrank (replaced) starts over.
  std::vector<LogChunk> collect(const std::string& deployment_id,
                                const std::vector<Replica>& replicas);
  // Called once the server took the report that carried these chunks.
  void acknowledge(const std::string& deployment_id, const std::vector<LogChunk>& chunks);

 private:
  LogShipLimits limits_;
  int64_t budget_ = 0;                   // left in the current round
  std::map<std::string, int64_t> sent_;  // "<deployment>/<replica>" -> offset the server has
};

// Server side: the copy of a remote replica's log, where the API reads it.
std::string replica_log_path(const std::string& data_dir, const std::string& deployment_id,
                             int64_t replica);
// Appends a chunk that continues the copy; a chunk that does not (an agent
// that restarted, a gap after a lost report) starts the copy over. The copy
// keeps its last `keep` bytes once it grows past twice that.
void mirror_log_chunk(const std::string& data_dir, const std::string& deployment_id,
                      const LogChunk& c, int64_t keep = 1 << 20);

}  // namespace hydra::deploy
