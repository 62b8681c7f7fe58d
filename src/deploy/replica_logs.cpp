#include "deploy/replica_logs.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "common/json.h"

namespace hydra::deploy {
namespace {

namespace bj = boost::json;
namespace fs = std::filesystem;

constexpr int64_t kMaxChunkBytes = 1 << 20;

std::string to_base64(const std::string& bin) {
  std::string out(sodium_base64_ENCODED_LEN(bin.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bin.data()),
                    bin.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::string from_base64(const std::string& text) {
  std::string out(text.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    throw_param("log data must be base64", "logs");
  }
  out.resize(len);
  return out;
}

std::string key_of(const std::string& deployment_id, int64_t replica) {
  return deployment_id + "/" + std::to_string(replica);
}

std::string read_range(const std::string& path, int64_t from, int64_t n) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return {};
  f.seekg(from);
  std::string out(static_cast<size_t>(n), '\0');
  f.read(out.data(), n);
  out.resize(static_cast<size_t>(std::max<std::streamsize>(0, f.gcount())));
  return out;
}

// Written whole or not at all: a reader never sees half a number.
void write_atomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
  }
  fs::rename(tmp, path);
}

int64_t read_offset(const std::string& path) {
  std::ifstream f(path);
  int64_t v = -1;
  if (!(f >> v)) return -1;
  return v;
}

}  // namespace

bj::object to_json(const LogChunk& c) {
  return bj::object{{"replica", c.replica}, {"offset", c.offset}, {"data", to_base64(c.data)}};
}

LogChunk log_chunk_from_json(const bj::value& v) {
  json::Fields f(v, "log");
  LogChunk c;
  c.replica = f.i64("replica");
  c.offset = f.i64("offset");
  std::string data = f.str("data");
  f.done();
  if (c.replica < 0 || c.replica >= 1024) throw_param("log replica out of range", "logs");
  if (c.offset < 0) throw_param("log offset must not be negative", "logs");
  if (static_cast<int64_t>(data.size()) > kMaxChunkBytes / 3 * 4 + 4) {
    throw_param("a log chunk holds at most 1 MiB", "logs");
  }
  c.data = from_base64(data);
  return c;
}

std::vector<LogChunk> LogShipper::collect(const std::string& deployment_id,
                                          const std::vector<Replica>& replicas) {
  std::vector<LogChunk> out;
  for (const auto& r : replicas) {
    // Kubernetes replicas name their pod here, not a file: nothing to ship.
    std::error_code ec;
    if (r.log_path.empty() || budget_ <= 0 || !fs::is_regular_file(r.log_path, ec)) continue;
    auto size = static_cast<int64_t>(fs::file_size(r.log_path, ec));
    if (ec) continue;
    // A log seen for the first time, or replaced by a shorter file, starts
    // near its end; that start holds until the server takes the bytes.
    int64_t fresh = std::max<int64_t>(0, size - limits_.first_tail);
    auto [it, first] = sent_.emplace(key_of(deployment_id, r.index), fresh);
    if (!first && size < it->second) it->second = fresh;
    int64_t from = it->second;
    int64_t n = std::min({size - from, limits_.per_replica, budget_});
    if (n <= 0) continue;
    LogChunk c{r.index, from, read_range(r.log_path, from, n)};
    if (c.data.empty()) continue;
    budget_ -= static_cast<int64_t>(c.data.size());
    out.push_back(std::move(c));
  }
  return out;
}

void LogShipper::acknowledge(const std::string& deployment_id,
                             const std::vector<LogChunk>& chunks) {
  for (const auto& c : chunks) {
    sent_[key_of(deployment_id, c.replica)] = c.offset + static_cast<int64_t>(c.data.size());
  }
}

std::string replica_log_path(const std::string& data_dir, const std::string& deployment_id,
                             int64_t replica) {
  return data_dir + "/deployments/" + deployment_id + "/replica-" + std::to_string(replica) +
         ".log";
}

void mirror_log_chunk(const std::string& data_dir, const std::string& deployment_id,
                      const LogChunk& c, int64_t keep) {
  std::string path = replica_log_path(data_dir, deployment_id, c.replica);
  std::string at_path = path + ".at";  // the agent's offset where the copy ends
  fs::create_directories(fs::path(path).parent_path());
  bool continues = read_offset(at_path) == c.offset && fs::exists(path);
  {
    std::ofstream f(path, std::ios::binary | (continues ? std::ios::app : std::ios::trunc));
    f.write(c.data.data(), static_cast<std::streamsize>(c.data.size()));
    if (!f) throw std::runtime_error("cannot write " + path);
  }
  std::error_code ec;
  auto size = static_cast<int64_t>(fs::file_size(path, ec));
  if (!ec && size > 2 * keep) write_atomically(path, read_range(path, size - keep, keep));
  write_atomically(at_path, std::to_string(c.offset + static_cast<int64_t>(c.data.size())));
}

}  // namespace hydra::deploy
