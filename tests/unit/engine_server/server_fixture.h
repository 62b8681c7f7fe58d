#pragma once
// An in-process engine server over a tiny random-weight model with a real
// vocabulary, and helpers to talk to it over HTTP (blocking client and raw
// sockets for streams).
#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include "engine/server/engine_service.h"
#include "http/client.h"
#include "http/server.h"

namespace hydra::engine::test {

struct RunningServer {
  std::shared_ptr<http::Metrics> metrics;
  std::unique_ptr<EngineService> service;
  std::unique_ptr<http::Server> server;
  std::string base;

  ~RunningServer();
};

// arch "qwen2" over the GPT-2 vocabulary with the Qwen2.5 chat template, or
// "bert" over the BGE vocabulary. Built once per process.
RunningServer& decoder_server();
RunningServer& bert_server();
// The same decoder with one sequence slot and one waiting place.
RunningServer& one_slot_server();

boost::json::object post(RunningServer& s, const std::string& path, const boost::json::value& body,
                         int* status = nullptr);
boost::json::object post_ok(RunningServer& s, const std::string& path,
                            const boost::json::value& body);

// A streamed answer read from a raw socket: each `data:` payload in order,
// and how many socket reads delivered at least one of them.
struct Stream {
  int status = 0;
  std::vector<std::string> events;
  int reads_with_events = 0;
};
Stream post_stream(RunningServer& s, const std::string& path, const boost::json::value& body);

// A value of a metric line `name{...} value` (the first with that name), or -1.
double metric_value(const std::string& text, const std::string& name);

}  // namespace hydra::engine::test
