#pragma once
// The OpenAI-compatible API of one loaded model: chat and text completions
// (plain and streamed) through the runtime's decode loop, embeddings for
// encoder models, models, tokenize/detokenize (vLLM shapes), apply-template,
// and the hydra_engine: metrics. /health and /metrics themselves are served
// by the HTTP server; this class keeps the metrics it renders current.
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>

#include "engine/runtime/loaded_model.h"
#include "engine/runtime/runtime.h"
#include "engine/server/response_shape.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/stream.h"

namespace hydra::engine {

class EventChannel;

struct EngineServiceOptions {
  std::string served_model_name;  // what /v1/models lists and requests must name
  RuntimeOptions runtime;         // on_load is set by the service
};

class EngineService {
 public:
  EngineService(std::unique_ptr<LoadedModel> model, EngineServiceOptions options,
                std::shared_ptr<http::Metrics> metrics);
  ~EngineService();
  EngineService(const EngineService&) = delete;
  EngineService& operator=(const EngineService&) = delete;

  void add_routes(http::Router& router);

  const LoadedModel& model() const { return *model_; }
  const std::string& name() const { return options_.served_model_name; }
  Runtime* runtime() { return runtime_.get(); }  // null for encoder models

  struct Job;  // one prepared generation request (engine_service.cpp)

 private:
  boost::asio::awaitable<void> chat(http::Request& req, http::ResponseWriter& w);
  boost::asio::awaitable<void> completion(http::Request& req, http::ResponseWriter& w);
  boost::asio::awaitable<void> generate(std::shared_ptr<Job> job, http::ResponseWriter& w);
  boost::asio::awaitable<bool> stream_events(std::shared_ptr<Job> job,
                                             std::shared_ptr<EventChannel> channel,
                                             http::ResponseWriter& w);
  std::shared_ptr<Job> prepare_chat(const std::string& body);
  std::shared_ptr<Job> prepare_completion(const std::string& body);
  void note_event(Job& job, const TokenEvent& ev);
  void record_finished(const Job& job);
  // The client went away: stop the request's work and count it.
  void abandon(Job& job);
  Usage usage_of(const Job& job) const;
  void set_chunk_usage(const Job& job, boost::json::object& chunk) const;

  http::Response models();
  http::Response tokenize(const http::Request& req);
  http::Response detokenize(const http::Request& req);
  http::Response apply_template(const http::Request& req);
  http::Response embeddings(const http::Request& req);

  std::unique_ptr<LoadedModel> model_;
  EngineServiceOptions options_;
  std::shared_ptr<http::Metrics> metrics_;
  std::unique_ptr<Runtime> runtime_;
  int64_t created_ = 0;
};

}  // namespace hydra::engine
