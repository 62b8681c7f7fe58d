#pragma once
// Usage of a streamed answer, counted from the events themselves, and the
// rewriting that keeps the gateway's own usage requests invisible.
//
// The rule (README "Billing of streams"): a stream is billed for what the
// upstream generated. The gateway asks for usage on every stream
// (stream_options.include_usage) and, when the endpoint supports it, for
// cumulative usage on every event (continuous_usage_stats); the last usage
// seen wins. When no event ever carried usage, the completion is the number
// of events that carried generated text and the prompt is not known (0).
#include <boost/json/fwd.hpp>
#include <cstdint>
#include <string>

namespace hydra::gateway {

// Adds the usage requests to a stream's body for an endpoint; returns
// what the client itself asked for.
struct StreamAsk {
  bool include_usage = false;  // the client asked for the final usage chunk
  bool continuous = false;     // the client asked for usage on every event
};
StreamAsk client_stream_ask(const boost::json::object& body);
// Sets include_usage, and continuous_usage_stats when the endpoint supports
// it (removing it otherwise, unless the client sent it).
void ask_stream_usage(boost::json::object& body, const StreamAsk& client, bool endpoint_continuous);

class StreamMeter {
 public:
  StreamMeter() = default;
  explicit StreamMeter(StreamAsk client) : client_(client) {}

  // Reads one event; returns what the client should get ("" for nothing).
  std::string pass(const std::string& event);

  bool saw_usage() const { return saw_usage_; }
  int64_t prompt_tokens() const { return prompt_; }
  // The last reported completion count, or the text events counted.
  int64_t completion_tokens() const { return saw_usage_ ? completion_ : text_events_; }
  int64_t cached_tokens() const { return cached_; }
  int64_t text_events() const { return text_events_; }

 private:
  void capture(const boost::json::object& usage);

  StreamAsk client_;
  bool saw_usage_ = false;
  int64_t prompt_ = 0, completion_ = 0, cached_ = 0;
  int64_t text_events_ = 0;
};

}  // namespace hydra::gateway
